package dev.handoff.streams.reference;

import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Copies every change of the reference topics to every partition of the fan-out topic, keyed
 * {@code KIND:id}, so each lifecycle task sees reference changes in order with its own findings and can
 * re-route the findings waiting on them without racing a global-store thread (docs/decisions/0004).
 */
public final class ReferenceFanout implements Processor<String, byte[], String, byte[]> {

    private final Map<String, ReferenceKind> kindByTopic;
    private ProcessorContext<String, byte[]> context;

    public ReferenceFanout(Map<String, ReferenceKind> kindByTopic) {
        this.kindByTopic = Map.copyOf(kindByTopic);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
        ReferenceKind kind = kindByTopic.get(topic);
        if (kind == null || record.key() == null) {
            // A keyless reference record cannot be stored or deleted; nothing downstream could use it.
            return;
        }
        context.forward(record.withKey(kind.fanoutKey(record.key())));
    }

    /** Sends each record to every partition. */
    public static final class Multicast implements StreamPartitioner<String, byte[]> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
            return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
        }
    }
}
