package dev.handoff.streams.noise;

import dev.handoff.streams.SortableMillis;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps each owner's notification load across every finding partition (records arrive keyed by owner)
 * and, when a delivery lands on an owner who already holds too many unacknowledged notifications or
 * received too many recently, sends a noise flag keyed by the finding back to its partition.
 *
 * <p>Store {@link #STORE} keys: {@code <owner>|P|<finding>} pending deliveries, {@code <owner>|H|<13-digit
 * millis>|<finding>} delivery history inside the window, {@code <owner>|count} the pending count.
 */
public final class OwnerLoadProcessor implements Processor<String, String, String, String> {

    public static final String STORE = "owner-notification-load";
    public static final String TO_NOISE_FLAGS = "to-noise-flags";

    private final NoiseSettings settings;
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, Long> load;

    public OwnerLoadProcessor(NoiseSettings settings) {
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.load = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, String> record) {
        String owner = record.key();
        OwnerLoad change = OwnerLoad.decode(record.value()).orElse(null);
        if (owner == null || change == null) {
            // Only handoff-streams writes this topic; a record it cannot read is skipped rather than stopping the owner's counts.
            return;
        }
        String pendingKey = owner + "|P|" + change.findingId();
        long pending = count(owner);
        switch (change.kind()) {
            case DELIVERED -> {
                long recent = recentDeliveries(owner, change.at());
                if (pending >= settings.pendingThreshold() || recent >= settings.recentThreshold()) {
                    context.forward(new Record<>(change.findingId(),
                            "owner=" + owner + ";pending=" + pending + ";recent=" + recent + ";at=" + change.at().toEpochMilli(),
                            record.timestamp()), TO_NOISE_FLAGS);
                }
                if (load.get(pendingKey) == null) {
                    load.put(pendingKey, change.at().toEpochMilli());
                    load.put(owner + "|count", pending + 1);
                }
                load.put(owner + "|H|" + SortableMillis.of(change.at().toEpochMilli()) + "|" + change.findingId(), 1L);
            }
            case RELEASED -> {
                if (load.get(pendingKey) != null) {
                    load.delete(pendingKey);
                    load.put(owner + "|count", Math.max(0, pending - 1));
                }
            }
            default -> throw new IllegalStateException("unhandled " + change.kind());
        }
    }

    private long count(String owner) {
        Long c = load.get(owner + "|count");
        return c == null ? 0 : c;
    }

    /** Deliveries to the owner in [at - window, at); older history is pruned as it is passed. */
    private long recentDeliveries(String owner, Instant at) {
        String prefix = owner + "|H|";
        long from = at.minus(settings.window()).toEpochMilli();
        List<String> expired = new ArrayList<>();
        long recent = 0;
        try (KeyValueIterator<String, Long> it = load.prefixScan(prefix, new StringSerializer())) {
            while (it.hasNext()) {
                String key = it.next().key;
                long t = Long.parseLong(key.substring(prefix.length(), prefix.length() + 13));
                if (t < from) {
                    expired.add(key);
                } else if (t < at.toEpochMilli()) {
                    recent++;
                }
            }
        }
        expired.forEach(load::delete);
        return recent;
    }
}
