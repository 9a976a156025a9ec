package dev.handoff.streams.metrics;

import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The records of the internal cohort-partials topic, which is compacted and is also the changelog of the
 * {@link MetricsNames#PARTIALS_STORE partials store} (decisions 0010 and 0014): each record is exactly the store entry
 * it makes. Key {@code <cohort id>|p<finding partition>}, value that partition's {@link CohortPartial} of the cohort
 * ({@link CohortPartial#encode}) or null when the partition no longer has members in it; or key
 * {@value #GAUGE_KEY_PREFIX} plus the finding partition and a gauge snapshot as value. Internal only: nothing outside
 * handoff-streams reads this topic, so it is not registered Avro.
 */
public final class CohortMessage {

    public static final String GAUGE_KEY_PREFIX = "~gauge|";

    private CohortMessage() {
    }

    /** The key of one finding partition's share of one cohort: the partials store key too. */
    public static String partialKey(String cohortId, int findingPartition) {
        return cohortId + "|p" + findingPartition;
    }

    static boolean isGauge(String key) {
        return key.startsWith(GAUGE_KEY_PREFIX);
    }

    /** The cohort id of a {@link #partialKey partial key}: everything before the fourth '|' (a cohort id has three). */
    static String cohortOf(String partialKey) {
        int cut = -1;
        for (int i = 0; i < 4; i++) {
            cut = partialKey.indexOf('|', cut + 1);
            if (cut < 0) {
                throw new IllegalArgumentException("a cohort partial key is DIMENSION|key|BAND|yyyy-MM-dd|p<partition>, was '" + partialKey + "'");
            }
        }
        return partialKey.substring(0, cut);
    }

    public static byte[] gauge(GaugeSnapshot snapshot) {
        return snapshot.encode().getBytes(StandardCharsets.UTF_8);
    }

    static GaugeSnapshot gauge(byte[] value) {
        return GaugeSnapshot.decode(new String(value, StandardCharsets.UTF_8));
    }

    /**
     * Every day of a series (band, dimension, key) goes to one partition, so weeks and months are merged
     * from local days and a series' range query is answered by one task. Gauge snapshots go to every
     * partition, so each metrics task holds the workspace's gauges.
     */
    public static final class Partitioner implements StreamPartitioner<String, byte[]> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
            if (isGauge(key)) {
                return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
            }
            byte[] series = CohortKey.seriesOf(cohortOf(key)).getBytes(StandardCharsets.UTF_8);
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(series)) % numPartitions));
        }
    }
}
