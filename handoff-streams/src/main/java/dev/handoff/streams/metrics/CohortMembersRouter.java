package dev.handoff.streams.metrics;

import dev.handoff.avro.FindingState;
import dev.handoff.avro.RouteKind;
import dev.handoff.streams.stages.Transitions;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs beside the lifecycle processor (same task, same partition) and turns each saved
 * {@link FindingState} into cohort membership: the member's facts to each of its five cohorts, and a
 * removal from each cohort it has left (its band was raised, it was re-routed to another team, it
 * reopened). Nothing is sent when a save changed neither the cohorts nor the facts. It also counts
 * the partition's open findings and those routed to a current owner, and adds them to the gauge
 * snapshot the lifecycle processor sends with each unrouted-depth snapshot.
 */
public final class CohortMembersRouter implements Processor<String, Object, String, byte[]> {

    private static final String OPEN_KEY = "~open";
    private static final String CURRENT_KEY = "~open-current";
    private static final byte OPEN = 1;
    private static final byte CURRENT = 2;

    /**
     * A snapshot equal to the last one forwarded is dropped unless this long has passed since: each one is multicast to
     * every metrics partition, and a replay on the stream clock takes one per minute of event time, about one per input
     * record (the end-to-end bench measured it as the largest cost of a replay). Values are exact either way.
     */
    static final java.time.Duration GAUGE_HEARTBEAT = java.time.Duration.ofHours(1);

    private final ZoneId zone;
    private final java.security.MessageDigest sha256 = newDigest();
    /** The open and open-with-current-owner counters, as the store holds them: read in {@code init}, written on change. */
    private long open;
    private long openWithCurrentOwner;
    private GaugeSnapshot lastGauge;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> sent;

    public CohortMembersRouter(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.sent = context.getStateStore(MetricsNames.MEMBER_KEYS_STORE);
        // A revived task (after an aborted transaction) runs init again on this instance; the gauge last forwarded
        // may have been aborted with it, so the next one must not be suppressed as unchanged.
        this.lastGauge = null;
        this.open = stored(OPEN_KEY);
        this.openWithCurrentOwner = stored(CURRENT_KEY);
    }

    @Override
    public void process(Record<String, Object> record) {
        if (record.value() instanceof FindingState state) {
            onState(record, state);
        } else if (record.value() instanceof GaugeSnapshot gauge) {
            GaugeSnapshot full = gauge.withCounts(open, openWithCurrentOwner);
            if (unchanged(full)) {
                return;
            }
            lastGauge = full;
            context.forward(record.withKey(CohortMessage.GAUGE_KEY_PREFIX + gauge.partition()).withValue(CohortMessage.gauge(full)));
        }
    }

    private void onState(Record<String, Object> record, FindingState state) {
        String findingId = state.getFindingId();
        Sent before = Sent.decode(sent.get(findingId));
        List<String> ids = new ArrayList<>();
        for (CohortKey key : CohortKey.of(state, zone)) {
            ids.add(key.id());
        }
        byte[] facts = CohortMember.of(state).encode();
        sha256.reset();
        byte[] digest = sha256.digest(facts);
        byte flags = flags(state);
        count(before == null ? 0 : before.flags, flags);
        if (before != null && before.ids.equals(ids) && Arrays.equals(before.factsDigest, digest)) {
            if (before.flags != flags) {
                sent.put(findingId, new Sent(flags, ids, digest).encode());
            }
            return;
        }
        if (before != null) {
            for (String old : before.ids) {
                if (!ids.contains(old)) {
                    // A tombstone: the topic is compacted and is the members store's changelog (decision 0010).
                    context.forward(record.withKey(CohortMessage.memberKey(old, findingId)).withValue(null));
                }
            }
        }
        for (String id : ids) {
            context.forward(record.withKey(CohortMessage.memberKey(id, findingId)).withValue(facts));
        }
        sent.put(findingId, new Sent(flags, ids, digest).encode());
    }

    /**
     * What is remembered of the facts sent: a digest, not the facts (the store held every open finding's facts a sixth
     * time). An entry written before holds the facts themselves, which differ from any digest: that finding's facts
     * are sent once more, which the cohorts take as the same member again.
     */
    static byte[] digest(byte[] facts) {
        return newDigest().digest(facts);
    }

    private static java.security.MessageDigest newDigest() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private boolean unchanged(GaugeSnapshot g) {
        GaugeSnapshot last = lastGauge;
        return last != null && last.unroutedDepth() == g.unroutedDepth() && java.util.Objects.equals(last.oldestUnroutedAt(), g.oldestUnroutedAt())
                && last.open() == g.open() && last.openWithCurrentOwner() == g.openWithCurrentOwner()
                && g.at().isBefore(last.at().plus(GAUGE_HEARTBEAT)) && !g.at().isBefore(last.at());
    }

    /**
     * Open, and routed to a current owner: the owner the asset binds, or a person named by a reassignment.
     * A fallback to the team lead or the escalation chain means the binding is stale.
     */
    static byte flags(FindingState s) {
        if (!Transitions.OPEN_STATUSES.contains(s.getStatus())) {
            return 0;
        }
        boolean current = s.getOwnerId() != null && (s.getRoute() == RouteKind.ASSET_OWNER || s.getRoute() == RouteKind.REASSIGNED);
        return (byte) (OPEN | (current ? CURRENT : 0));
    }

    private void count(byte before, byte after) {
        int openDelta = bit(after, OPEN) - bit(before, OPEN);
        if (openDelta != 0) {
            open += openDelta;
            store(OPEN_KEY, open);
        }
        int currentDelta = bit(after, CURRENT) - bit(before, CURRENT);
        if (currentDelta != 0) {
            openWithCurrentOwner += currentDelta;
            store(CURRENT_KEY, openWithCurrentOwner);
        }
    }

    private static int bit(byte flags, byte mask) {
        return (flags & mask) != 0 ? 1 : 0;
    }

    private void store(String key, long value) {
        sent.put(key, Long.toString(value).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private long stored(String key) {
        byte[] v = sent.get(key);
        return v == null ? 0 : Long.parseLong(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** What was last sent for a finding: its flags, its cohorts and the digest of its facts. */
    private record Sent(byte flags, List<String> ids, byte[] factsDigest) {
        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(flags);
                out.writeShort(ids.size());
                for (String id : ids) {
                    out.writeUTF(id);
                }
                out.writeInt(factsDigest.length);
                out.write(factsDigest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        static Sent decode(byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                byte flags = in.readByte();
                int n = in.readShort();
                List<String> ids = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    ids.add(in.readUTF());
                }
                byte[] facts = new byte[in.readInt()];
                in.readFully(facts);
                return new Sent(flags, ids, facts);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
