package dev.handoff.streams.reference;

import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.input.DeadLetters;
import dev.handoff.streams.input.InputRules;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Copies every change of the reference topics to every partition of the fan-out topic, keyed
 * {@code KIND:id}, so each lifecycle task sees reference changes in order with its own findings and can
 * re-route the findings waiting on them without racing a global-store thread (docs/decisions/0004).
 * A record no task could take (undecodable, keyed by another id than its own, dated where Kafka cannot date
 * what it causes, an invalid SLA policy) is dead-lettered here, once, instead of once per partition.
 */
public final class ReferenceFanout implements Processor<String, byte[], String, Object> {

    /** The child that writes the fan-out topic. */
    public static final String TO_FANOUT = "reference-fanout-sink";
    /** The child that writes the deadletter topic. */
    public static final String TO_DEADLETTER = "reference-fanout-to-deadletter";

    private static final Logger log = LoggerFactory.getLogger(ReferenceFanout.class);
    private static final String SOURCE = "handoff-streams";

    private final Map<String, ReferenceKind> kindByTopic;
    private final Topics topics;
    private final Map<ReferenceKind, Deserializer<? extends SpecificRecord>> deserializers = new EnumMap<>(ReferenceKind.class);
    private ProcessorContext<String, Object> context;

    public ReferenceFanout(Map<String, ReferenceKind> kindByTopic, Topics topics) {
        this.kindByTopic = Map.copyOf(kindByTopic);
        this.topics = topics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        for (ReferenceKind kind : ReferenceKind.values()) {
            deserializers.put(kind, topics.valueSerde(kind.topic()).deserializer());
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        ReferenceKind kind = kindByTopic.get(topic);
        if (kind == null || record.key() == null) {
            // A keyless reference record cannot be stored or deleted (compacted topics refuse them anyway).
            return;
        }
        Optional<Problem> problem = problem(kind, record);
        if (problem.isPresent()) {
            Problem p = problem.get();
            log.warn("dead-lettered {} record (key {}): {}", topic, InputRules.quote(record.key()), p.reason());
            context.forward(DeadLetters.of(record, context.recordMetadata(), p.kind(), p.reason(), p.cause(),
                    Instant.ofEpochMilli(context.currentSystemTimeMs()), SOURCE), TO_DEADLETTER);
            return;
        }
        context.forward(record.withKey(kind.fanoutKey(record.key())), TO_FANOUT);
    }

    /** Why a record cannot be taken, as its dead letter says it. */
    private record Problem(DeadLetterKind kind, String reason, Throwable cause) {
        static Optional<Problem> invalid(String reason) {
            return Optional.of(new Problem(DeadLetterKind.VALIDATION, reason, null));
        }
    }

    /** Why no lifecycle task could take this record, or empty; a tombstone deletes and is always taken. */
    private Optional<Problem> problem(ReferenceKind kind, Record<String, byte[]> record) {
        Optional<String> key = InputRules.idProblem("the key", record.key());
        if (key.isPresent()) {
            return Problem.invalid(key.get());
        }
        if (record.value() == null) {
            return Optional.empty();
        }
        SpecificRecord value;
        try {
            value = deserializers.get(kind).deserialize(topics.name(kind.topic()), record.value());
        } catch (RuntimeException e) {
            return Optional.of(new Problem(DeadLetterKind.DESERIALIZATION, e.getMessage(), e));
        }
        Object id = value.get(value.getSchema().getField(kind.idField()).pos());
        if (!record.key().equals(String.valueOf(id))) {
            return Problem.invalid("record key " + InputRules.quote(record.key()) + " differs from " + kind.idField() + " "
                    + InputRules.quote(String.valueOf(id)) + ": a reference record is keyed by its id, so that a later change or"
                    + " delete of it replaces this one");
        }
        Instant at = (Instant) value.get(value.getSchema().getField("event_time").pos());
        // The broker judges the timestamps of what this change causes by its own clock: the machine's, not the context's.
        Optional<String> time = InputRules.eventTimeProblem(at, record.timestamp(), System.currentTimeMillis());
        if (time.isPresent()) {
            return Problem.invalid(time.get());
        }
        if (value instanceof SlaPolicy policy) {
            try {
                SlaPolicies.validate(policy);
            } catch (IllegalArgumentException e) {
                return Problem.invalid("SLA policy " + InputRules.quote(policy.getPolicyId()) + " v" + policy.getVersion()
                        + " rejected, the previous version stays in force: " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Sends each record to every partition. */
    public static final class Multicast implements StreamPartitioner<String, byte[]> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
            return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
        }
    }
}
