package dev.handoff.ingest.connect;

import dev.handoff.ingest.parse.ReportException;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ReportFeedTest {

    /** Long enough that only a hang reaches it. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static SourceRecord record(long n) {
        return new SourceRecord(Map.of("file", "f"), Map.of("index", n), "t", null, null, null, null);
    }

    private static long index(SourceRecord r) {
        return (Long) r.sourceOffset().get("index");
    }

    /** Drains the feed until its parse ends, at most {@code maxCalls} calls of {@code next}. */
    private static ReportFeed.Outcome drain(ReportFeed feed, int max, List<SourceRecord> into) throws InterruptedException {
        for (int calls = 0; calls < 100_000; calls++) {
            ReportFeed.Batch b = feed.next(max, WAIT);
            assertTrue(b.records().size() <= max, "a batch of " + b.records().size() + " over the " + max + " asked");
            into.addAll(b.records());
            if (b.ended()) {
                return b.outcome();
            }
        }
        return fail("the parse did not end");
    }

    /** Waits until {@code parser} is parked on the full queue, so the stop must interrupt it. */
    static void awaitBlocked(Thread parser) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (parser.getState() != Thread.State.WAITING) {
            assertTrue(parser.isAlive(), "the parser thread ended before blocking");
            if (System.nanoTime() > deadline) {
                fail("the parser thread did not block on the full queue within " + WAIT + ": " + parser.getState());
            }
            Thread.sleep(5);
        }
    }

    @Test
    void handsOverEveryRecordInOrderInBatchesNoLargerThanAskedThenTheEnd() throws Exception {
        ReportFeed feed = ReportFeed.start("feed-test-order", 7, sink -> {
            for (long n = 0; n < 1000; n++) {
                sink.put(record(n));
            }
        });
        List<SourceRecord> out = new ArrayList<>();
        ReportFeed.Outcome end = drain(feed, 25, out);
        assertTrue(end.complete(), end.toString());
        assertEquals(1000, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i, index(out.get(i)));
        }
        feed.thread().join(WAIT.toMillis());
        assertFalse(feed.thread().isAlive(), "the parser thread ends by itself once the parse is handed over");
    }

    @Test
    void aParseThatTurnsOutMalformedEndsWithItsRefusal() throws Exception {
        ReportFeed feed = ReportFeed.start("feed-test-malformed", 4, sink -> {
            for (long n = 0; n < 10; n++) {
                sink.put(record(n));
            }
            throw new ReportException(ReportException.Kind.MALFORMED, "malformed JSON: Unexpected end-of-input");
        });
        List<SourceRecord> out = new ArrayList<>();
        ReportFeed.Outcome end = drain(feed, 3, out);
        assertNotNull(end.refusal());
        assertEquals(ReportException.Kind.MALFORMED, end.refusal().kind());
        assertNull(end.failure());
        assertTrue(out.size() <= 10, "nothing after the records the parse made: " + out.size());
    }

    @Test
    void aParserThatBreaksRefusesTheReportInsteadOfFailingTheTask() throws Exception {
        ReportFeed feed = ReportFeed.start("feed-test-bug", 4, sink -> {
            throw new IllegalStateException("a parser bug");
        });
        ReportFeed.Outcome end = drain(feed, 3, new ArrayList<>());
        assertNotNull(end.refusal(), end.toString());
        assertTrue(end.refusal().getMessage().contains("a parser bug"), end.refusal().getMessage());
    }

    @Test
    void stopInterruptsAParserBlockedOnAFullQueueAndJoinsIt() throws Exception {
        CountDownLatch full = new CountDownLatch(1);
        ReportFeed feed = ReportFeed.start("feed-test-stop", 5, sink -> {
            for (long n = 0; ; n++) {
                if (n == 5) {
                    full.countDown(); // the next put blocks: the queue holds 5
                }
                sink.put(record(n));
            }
        });
        assertTrue(full.await(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS), "the parser did not fill the queue");
        assertEquals(3, feed.next(3, WAIT).records().size());
        awaitBlocked(feed.thread());
        assertTrue(feed.stop(Duration.ofSeconds(10)), "stop() reports that the thread ended");
        assertFalse(feed.thread().isAlive(), "no parser thread outlives its stop");
        assertTrue(feed.stop(Duration.ofSeconds(1)), "a second stop is harmless");
    }
}
