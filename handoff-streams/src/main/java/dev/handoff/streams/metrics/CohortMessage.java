package dev.handoff.streams.metrics;

import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The records of the internal cohort-members topic. Key: a cohort id, or {@value #GAUGE_KEY_PREFIX}
 * plus the finding partition for gauge snapshots. Value: one type byte, then a member's facts
 * ({@link CohortMember#encode}), the id of a finding that left the cohort, or a gauge snapshot.
 * Internal only: nothing outside handoff-streams reads this topic, so it is not Avro.
 */
public final class CohortMessage {

    public static final String GAUGE_KEY_PREFIX = "~gauge|";

    static final byte MEMBER = 1;
    static final byte REMOVED = 2;
    static final byte GAUGE = 3;

    private CohortMessage() {
    }

    /** @param facts a member's facts, {@link CohortMember#encode encoded} */
    public static byte[] member(byte[] facts) {
        return tagged(MEMBER, facts);
    }

    public static byte[] removed(String findingId) {
        return tagged(REMOVED, findingId.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] gauge(GaugeSnapshot snapshot) {
        return tagged(GAUGE, snapshot.encode().getBytes(StandardCharsets.UTF_8));
    }

    static byte type(byte[] value) {
        if (value == null || value.length == 0) {
            throw new IllegalArgumentException("empty cohort message");
        }
        return value[0];
    }

    static byte[] payload(byte[] value) {
        return Arrays.copyOfRange(value, 1, value.length);
    }

    private static byte[] tagged(byte type, byte[] payload) {
        byte[] out = new byte[payload.length + 1];
        out[0] = type;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    /**
     * Every day of a series (band, dimension, key) goes to one partition, so weeks and months are merged
     * from local days and a series' range query is answered by one task. Gauge snapshots go to every
     * partition, so each metrics task holds the workspace's gauges.
     */
    public static final class Partitioner implements StreamPartitioner<String, byte[]> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
            if (key.startsWith(GAUGE_KEY_PREFIX)) {
                return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
            }
            byte[] series = CohortKey.seriesOf(key).getBytes(StandardCharsets.UTF_8);
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(series)) % numPartitions));
        }
    }
}
