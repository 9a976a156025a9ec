package dev.handoff.launcher.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the CPU of a phase went, by thread: the streams service's stream threads (and state updater), their producers'
 * network threads, the in-process broker, and the rest of the JVM (the JIT compiler, the garbage collector and the
 * bench's own clients: the process's CPU time less that of the threads named). It says which part of the JVM a run
 * spends its time in; the totals drift with the machine as wall-clock rates do, so compare runs made back to back.
 *
 * <p>Threads that end during the phase are counted in the rest, as the process time includes them.
 */
final class ThreadCpu {

    static final String STREAM = "stream threads";
    static final String STREAM_IO = "their producers' network threads";
    static final String BROKER = "broker";
    static final String REST = "rest of the JVM (JIT, GC, bench clients)";

    /**
     * Thread names of the in-process broker (KRaft, combined mode, Kafka 4.x): request handlers and network, transaction
     * and group coordinators, log cleaner, raft and controller, purgatories. Clients' threads (producers, admin, consumer
     * heartbeat) are not among them.
     */
    private static final Pattern BROKER_THREAD = Pattern.compile(
            "data-plane-kafka-.*|kafka-log-cleaner-thread-.*|AddPartitionsToTxnSenderThread-.*|TxnMarkerSenderThread-.*|"
                    + "group-coordinator-.*|share-coordinator-.*|kafka-scheduler-.*|kafka-\\d+-(raft|metadata)-.*|raft-.*|"
                    + "quorum-controller-.*|broker-\\d+-.*|controller-\\d+-.*|ExpirationReaper-.*|executor-.*|persister-.*|.*-reaper");

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** CPU nanoseconds so far: the whole process and each live thread (by id, with its name). */
    record Snapshot(long processNanos, Map<Long, Long> threadNanos, Map<Long, String> names) {
    }

    /** CPU nanoseconds of a phase per group: stream threads, their producers' network threads, broker, then the rest. */
    record Breakdown(long processNanos, Map<String, Long> byGroup) {

        /** One line; {@code wallSeconds} of 0 or less leaves out how many cores were busy. */
        String format(long events, double wallSeconds) {
            StringBuilder s = new StringBuilder();
            for (Map.Entry<String, Long> e : byGroup.entrySet()) {
                s.append(s.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%.0f (%.0f %%)", e.getValue() / 1e3 / events, 100.0 * e.getValue() / Math.max(1, processNanos)));
            }
            String perEvent = String.format(Locale.ROOT, "µs of CPU per event: %s; the process %.0f µs per event", s, processNanos / 1e3 / events);
            return wallSeconds <= 0 ? perEvent
                    : perEvent + String.format(Locale.ROOT, ", %.1f cores busy on average", processNanos / 1e9 / wallSeconds);
        }
    }

    private ThreadCpu() {
    }

    static boolean supported() {
        return THREADS.isThreadCpuTimeSupported() && processNanos() >= 0;
    }

    static Snapshot take() {
        if (THREADS.isThreadCpuTimeSupported() && !THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
        Map<Long, Long> cpu = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) {
                continue; // ended since the ids were read
            }
            long nanos = THREADS.getThreadCpuTime(info.getThreadId());
            if (nanos >= 0) {
                cpu.put(info.getThreadId(), nanos);
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        return new Snapshot(processNanos(), cpu, names);
    }

    /** The CPU spent between two snapshots, by group; a thread born in between counts from zero. */
    static Breakdown between(Snapshot before, Snapshot after) {
        Map<String, Long> byGroup = new LinkedHashMap<>();
        for (String g : List.of(STREAM, STREAM_IO, BROKER)) {
            byGroup.put(g, 0L);
        }
        long named = 0;
        for (Map.Entry<Long, Long> t : after.threadNanos().entrySet()) {
            String group = group(after.names().get(t.getKey()));
            if (group == null) {
                continue;
            }
            long spent = spent(before, t.getKey(), t.getValue());
            byGroup.merge(group, spent, Long::sum);
            named += spent;
        }
        // The process time is read in clock ticks (10 ms on Linux), the threads' in nanoseconds: never less than theirs.
        long process = Math.max(named, after.processNanos() - before.processNanos());
        byGroup.put(REST, process - named);
        return new Breakdown(process, byGroup);
    }

    /**
     * The group of a thread by its name, or null for the rest. Kafka Streams names its threads
     * {@code <client>-StreamThread-<n>} and their producers' network threads
     * {@code kafka-producer-network-thread | <client>-StreamThread-<n>-producer}.
     */
    static String group(String threadName) {
        if (threadName == null) {
            return null;
        }
        if (threadName.contains("-StreamThread-") || threadName.contains("-StateUpdater-")) {
            if (threadName.startsWith("kafka-producer-network-thread")) {
                return STREAM_IO;
            }
            return threadName.startsWith("kafka-") ? null : STREAM;
        }
        return BROKER_THREAD.matcher(threadName).matches() ? BROKER : null;
    }

    /** The threads outside the named groups that spent most, for checking the grouping: name and CPU nanoseconds. */
    static List<Map.Entry<String, Long>> largestUngrouped(Snapshot before, Snapshot after, int n) {
        Map<String, Long> byName = new HashMap<>();
        after.threadNanos().forEach((id, nanos) -> {
            String name = after.names().get(id);
            if (group(name) == null) {
                byName.merge(name.replaceAll("\\d+", "N"), spent(before, id, nanos), Long::sum);
            }
        });
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(byName.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        return sorted.subList(0, Math.min(n, sorted.size()));
    }

    /** What a thread spent since {@code before}; a thread born in between counts from zero. */
    private static long spent(Snapshot before, long threadId, long nanosNow) {
        return Math.max(0, nanosNow - before.threadNanos().getOrDefault(threadId, 0L));
    }

    private static long processNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }
}
