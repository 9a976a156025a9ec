package dev.handoff.launcher.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadCpuTest {

    @Test
    void threadsAreGroupedByTheNamesKafkaGivesThem() {
        // Names as a bench run of Kafka 4.x shows them (HANDOFF_BENCH_THREADS=1 prints the ungrouped ones).
        assertEquals(ThreadCpu.STREAM, ThreadCpu.group("bench.handoff-streams-cce1fd-4f-StreamThread-1"));
        assertEquals(ThreadCpu.STREAM, ThreadCpu.group("bench.handoff-streams-cce1fd-4f-StateUpdater-1"));
        assertEquals(ThreadCpu.STREAM_IO,
                ThreadCpu.group("kafka-producer-network-thread | bench.handoff-streams-cce1fd-4f-StreamThread-2-producer"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("data-plane-kafka-request-handler-3"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("data-plane-kafka-network-thread-1-EXTERNAL-PLAINTEXT-0"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("kafka-log-cleaner-thread-0"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("TxnMarkerSenderThread-1"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("group-coordinator-event-processor-0"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("kafka-1-raft-io-thread"));
        assertEquals(ThreadCpu.BROKER, ThreadCpu.group("controller-1-ThrottledChannelReaper-Produce"));
        // Clients of the bench and of the service are not the broker.
        assertNull(ThreadCpu.group("kafka-producer-network-thread | producer-1"));
        assertNull(ThreadCpu.group("kafka-coordinator-heartbeat-thread | bench.handoff-streams"));
        assertNull(ThreadCpu.group("kafka-admin-client-thread | adminclient-1"));
        assertNull(ThreadCpu.group("main"));
        assertNull(ThreadCpu.group(null));
    }

    @Test
    void aThreadsCpuIsCountedInItsGroupAndNotInTheRest() throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        CountDownLatch release = new CountDownLatch(1);
        long[] sink = new long[1];
        // A stream thread that spent 50 ms before the first snapshot and nothing after it: not part of the phase.
        CountDownLatch earlierSpun = new CountDownLatch(1);
        Thread earlier = spinner(threads, "test-app-StreamThread-8", earlierSpun, release, sink);
        earlier.start();
        earlierSpun.await();
        ThreadCpu.Snapshot before = ThreadCpu.take();
        CountDownLatch spun = new CountDownLatch(1);
        Thread busy = spinner(threads, "test-app-StreamThread-9", spun, release, sink);
        busy.start();
        spun.await();
        ThreadCpu.Snapshot after = ThreadCpu.take();
        release.countDown();
        busy.join();
        earlier.join();

        ThreadCpu.Breakdown b = ThreadCpu.between(before, after);
        long stream = b.byGroup().get(ThreadCpu.STREAM);
        assertTrue(stream >= 50_000_000L && stream < 90_000_000L, "stream threads' CPU in the phase: only the second spinner's " + stream);
        long named = b.byGroup().entrySet().stream().filter(e -> !e.getKey().equals(ThreadCpu.REST)).mapToLong(Map.Entry::getValue).sum();
        assertEquals(b.processNanos(), named + b.byGroup().get(ThreadCpu.REST), "the groups and the rest add up to the process");
        assertTrue(b.processNanos() >= stream, "the process spent at least what one of its threads did");
        String line = b.format(1000, 1.0);
        assertTrue(line.startsWith("µs of CPU per event: stream threads "), line);
        assertTrue(line.endsWith("cores busy on average"), line);
        assertFalse(b.format(1000, 0).contains("cores busy"), "no wall time, no cores");
    }

    /** A thread that spins until it has used 50 ms of CPU itself (however long that takes), then waits for release. */
    private static Thread spinner(ThreadMXBean threads, String name, CountDownLatch spun, CountDownLatch release, long[] sink) {
        return new Thread(() -> {
            long x = 0;
            while (threads.getCurrentThreadCpuTime() < 50_000_000L) {
                x += System.nanoTime() % 7;
            }
            sink[0] = x;
            spun.countDown();
            try {
                release.await(); // alive at the second snapshot, so its CPU time can be read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
    }
}
