package dev.handoff.streams.stages;

import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.SlaKind;
import dev.handoff.streams.SortableMillis;
import dev.handoff.streams.sla.ReminderSchedule;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The deadline-ordered timers in the {@link TimerIndex}: keys {@code <13-digit due millis>|<timer>}
 * sort by due time, so a scan reads only what is due and stops. {@code F|findingId} keeps the keys a
 * finding has scheduled, so a change of deadlines replaces exactly those.
 */
final class SlaTimers {

    /** One scheduled alert of a finding. */
    record Timer(String findingId, SlaKind sla, AlertLevel level, Instant deadline, int reminder, Instant due) {

        /** Deterministic, so the same alert has the same id after a restart or a replay. */
        String alertId() {
            return findingId + "|" + sla + "|" + level + "|" + deadline.toEpochMilli() + (reminder == 0 ? "" : "|" + reminder);
        }

        String key() {
            return SortableMillis.of(due.toEpochMilli()) + "|" + alertId();
        }

        static Timer parse(String key) {
            String[] p = key.split("\\|");
            return new Timer(p[1], SlaKind.valueOf(p[2]), AlertLevel.valueOf(p[3]), Instant.ofEpochMilli(Long.parseLong(p[4])),
                    p.length > 5 ? Integer.parseInt(p[5]) : 0, Instant.ofEpochMilli(Long.parseLong(p[0])));
        }
    }

    private static final StringSerializer KEYS = new StringSerializer();

    private final TimerIndex index;
    private final KeyValueStore<String, Long> fired;
    private final ReminderSchedule reminders;
    /**
     * No pending timer is due before this: the scan for due timers starts here, not at the first key. Fired timers are
     * deleted from the front of the index, and until RocksDB compacts them away a scan from the first key steps over
     * every one of their tombstones (the end-to-end bench found the scan, run after each record of a replay, among
     * the costs growing with the run). In memory only: a new instance (a start, a revived task) scans from zero once.
     */
    private long scanFrom;

    SlaTimers(TimerIndex index, KeyValueStore<String, Long> fired, ReminderSchedule reminders) {
        this.index = index;
        this.fired = fired;
        this.reminders = reminders;
    }

    /** The timers a finding in this state should have pending, whatever it had before. */
    static List<Timer> wanted(FindingState s, Instant handoffWarning, Instant remediationWarning) {
        List<Timer> timers = new ArrayList<>();
        String id = s.getFindingId();
        if (!Transitions.REMEDIATION_RUNNING.contains(s.getStatus())) {
            return timers;
        }
        if (s.getAcknowledgedAt() == null) {
            if (s.getHandoffDeadline() != null) {
                if (handoffWarning != null && handoffWarning.isBefore(s.getHandoffDeadline())) {
                    timers.add(new Timer(id, SlaKind.HANDOFF, AlertLevel.WARNING, s.getHandoffDeadline(), 0, handoffWarning));
                }
                timers.add(new Timer(id, SlaKind.HANDOFF, AlertLevel.BREACH, s.getHandoffDeadline(), 0, s.getHandoffDeadline()));
            }
            if (s.getNoAckDeadline() != null) {
                timers.add(new Timer(id, SlaKind.NO_ACK, AlertLevel.BREACH, s.getNoAckDeadline(), 0, s.getNoAckDeadline()));
            }
        } else if (s.getRemediationDeadline() != null) {
            if (remediationWarning != null && remediationWarning.isBefore(s.getRemediationDeadline())) {
                timers.add(new Timer(id, SlaKind.REMEDIATION, AlertLevel.WARNING, s.getRemediationDeadline(), 0, remediationWarning));
            }
            timers.add(new Timer(id, SlaKind.REMEDIATION, AlertLevel.BREACH, s.getRemediationDeadline(), 0, s.getRemediationDeadline()));
        }
        return timers;
    }

    /**
     * Replaces the finding's pending timers with {@code timers}, leaving out those already fired; for a
     * breach already fired, its next unfired reminder is pending instead.
     */
    void reschedule(String findingId, List<Timer> timers) {
        Set<String> keys = new LinkedHashSet<>();
        String old = index.get("F|" + findingId);
        List<String> pending = old == null ? List.of() : List.of(old.split("\n"));
        for (Timer t : timers) {
            String key = t.key();
            if (pending.contains(key)) {
                // Pending, so not fired (a timer leaves the index when it fires): no store read. Most saves keep their
                // deadlines, and these reads were up to three per save, most of them misses down to RocksDB.
                keys.add(key);
            } else if (fired.get(t.alertId()) == null) {
                keys.add(key);
            } else if (t.level() == AlertLevel.BREACH) {
                Optional<Timer> next = nextReminder(t);
                while (next.isPresent() && fired.get(next.get().alertId()) != null) {
                    next = nextReminder(next.get());
                }
                next.ifPresent(r -> keys.add(r.key()));
            }
        }
        if (old == null ? keys.isEmpty() : old.equals(String.join("\n", keys))) {
            // Most saves leave the deadlines as they were: rewriting the same keys would still be changelog writes.
            return;
        }
        if (old != null) {
            for (String k : old.split("\n")) {
                index.delete(k);
            }
            index.delete("F|" + findingId);
        }
        for (String k : keys) {
            index.put(k, "");
            lowerScanFrom(Long.parseLong(k.substring(0, 13)));
        }
        if (!keys.isEmpty()) {
            index.put("F|" + findingId, String.join("\n", keys));
        }
    }

    /** Timers due at or before {@code now}, earliest first, at most {@code max}. */
    List<Timer> due(Instant now, int max) {
        List<Timer> due = new ArrayList<>();
        if (scanFrom > now.toEpochMilli()) {
            return due; // scanned up to now already, and nothing earlier was scheduled since
        }
        String upper = SortableMillis.of(now.toEpochMilli()) + "|~";
        for (String key : index.keys(SortableMillis.of(scanFrom) + "|", upper, max)) {
            due.add(Timer.parse(key));
        }
        // The caller fires (and deletes) what is returned; what a full batch left behind is due no earlier than its last.
        scanFrom = due.size() < max ? Math.max(scanFrom, now.toEpochMilli() + 1) : due.get(due.size() - 1).due().toEpochMilli();
        return due;
    }

    /** Marks a timer fired; returns false if it already was (a replayed or re-scheduled alert). */
    boolean markFired(Timer t) {
        index.delete(t.key());
        removeFromFinding(t);
        if (fired.get(t.alertId()) != null) {
            return false;
        }
        fired.put(t.alertId(), t.due().toEpochMilli());
        return true;
    }

    /**
     * Forgets the fired alerts of the SLAs that can no longer fire for the finding saved as {@code after}: the handoff
     * and no-ack alerts once it is acknowledged, every alert once its remediation clock has stopped (closed). They were
     * kept only so that a re-save does not schedule them again, and {@link #wanted} no longer asks for them. Should the
     * finding reopen, its deadlines run from the reopening, so its alerts have other ids. Most fired alerts are spent
     * this way: they were a third of the keys of the lifecycle's stores at a million events.
     */
    void forgetSpent(FindingState before, FindingState after) {
        if (before == null) {
            return;
        }
        boolean closed = Transitions.REMEDIATION_RUNNING.contains(before.getStatus())
                && !Transitions.REMEDIATION_RUNNING.contains(after.getStatus());
        boolean acknowledged = before.getAcknowledgedAt() == null && after.getAcknowledgedAt() != null;
        if (!closed && !acknowledged) {
            return;
        }
        String prefix = after.getFindingId() + "|";
        List<String> spent = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = fired.prefixScan(prefix, KEYS)) {
            it.forEachRemaining(kv -> {
                if (closed || !kv.key.startsWith(prefix + SlaKind.REMEDIATION.name() + "|")) {
                    spent.add(kv.key);
                }
            });
        }
        spent.forEach(fired::delete);
    }

    /** After a breach or reminder, schedules the next reminder of the back-off. */
    Optional<Timer> nextReminder(Timer t) {
        int n = t.level() == AlertLevel.WARNING ? -1 : t.reminder() + 1;
        // The no-ack window is a reporting boundary, not a nag: the handoff breach already reminds.
        if (n < 1 || t.sla() == SlaKind.NO_ACK) {
            return Optional.empty();
        }
        return reminders.nth(t.deadline(), n).map(at -> new Timer(t.findingId(), t.sla(), AlertLevel.REMINDER, t.deadline(), n, at));
    }

    void add(Timer t) {
        if (fired.get(t.alertId()) != null) {
            return;
        }
        index.put(t.key(), "");
        lowerScanFrom(t.due().toEpochMilli());
        String old = index.get("F|" + t.findingId());
        index.put("F|" + t.findingId(), old == null || old.isEmpty() ? t.key() : old + "\n" + t.key());
    }

    private void lowerScanFrom(long dueMillis) {
        scanFrom = Math.min(scanFrom, Math.max(0, dueMillis));
    }

    private void removeFromFinding(Timer t) {
        String old = index.get("F|" + t.findingId());
        if (old == null) {
            return;
        }
        List<String> rest = new ArrayList<>(List.of(old.split("\n")));
        rest.remove(t.key());
        if (rest.isEmpty()) {
            index.delete("F|" + t.findingId());
        } else {
            index.put("F|" + t.findingId(), String.join("\n", rest));
        }
    }
}
