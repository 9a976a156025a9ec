package dev.handoff.ingest.connect;

import dev.handoff.ingest.parse.ReportException;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One parse of one report on a thread of its own, handing its records to the task thread through a bounded
 * queue: the parser runs ahead of the polls by at most the queue's capacity, so memory is bounded by the
 * queue whatever the report's size, and each report is parsed once however many polls it takes.
 *
 * <p>The parser thread ends by itself when the parse ends (completed or failed), and {@link #stop} interrupts
 * and joins it: a parser blocked on a full queue, or between two findings, stops at once.
 */
final class ReportFeed {

    private static final Logger LOG = LoggerFactory.getLogger(ReportFeed.class);

    /** Put behind the last record of a parse that ended; compared by identity. */
    private static final SourceRecord END = new SourceRecord(Map.of(), Map.of(), "", null, null);

    /** Where a parse puts its records, in order. */
    interface Sink {
        /** Blocks while the queue is full; throws {@link Stopped} (unchecked) once the feed is stopped. */
        void put(SourceRecord record);
    }

    /** The work of the parser thread. */
    @FunctionalInterface
    interface Parse {
        void run(Sink sink) throws ReportException, IOException;
    }

    /**
     * How a parse ended.
     *
     * @param refusal the report turned out malformed (or the parser failed on it): refuse it
     * @param failure the report could not be read, or the thread failed (an {@link Error}): not the report's fault
     */
    record Outcome(ReportException refusal, Throwable failure) {
        static final Outcome COMPLETE = new Outcome(null, null);

        boolean complete() {
            return refusal == null && failure == null;
        }
    }

    /**
     * What one {@link #next} call drained.
     *
     * @param records the records, in order; empty when the parser had nothing yet or the parse ended
     * @param outcome null while the parse goes on; once set, no record follows
     */
    record Batch(List<SourceRecord> records, Outcome outcome) {
        boolean ended() {
            return outcome != null;
        }
    }

    /** Thrown through the parser once the feed is stopped, so the parse unwinds at the next finding. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("the report feed was stopped", null, false, false);
        }
    }

    private final BlockingQueue<SourceRecord> queue;
    private final Thread thread;
    private volatile boolean stopped;
    /** Written before {@link #END} is queued; read after it is taken. */
    private volatile Outcome outcome;

    private ReportFeed(String name, int capacity, Parse parse) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(() -> run(parse), name);
        this.thread.setDaemon(true); // never holds a worker JVM open, even if a stop is never called
    }

    /** Starts the parser thread {@code name} feeding a queue of {@code capacity} records. */
    static ReportFeed start(String name, int capacity, Parse parse) {
        ReportFeed feed = new ReportFeed(name, capacity, parse);
        feed.thread.start();
        return feed;
    }

    private void run(Parse parse) {
        Outcome end;
        try {
            parse.run(this::put);
            end = Outcome.COMPLETE;
        } catch (Stopped e) {
            return;
        } catch (ReportException e) {
            end = new Outcome(e, null);
        } catch (IOException e) {
            end = new Outcome(null, e);
        } catch (RuntimeException e) {
            if (stopped) {
                return; // a parser may have wrapped the stop; nobody waits for this parse any more
            }
            // A parser that breaks on some input is the input's problem: the report is refused, the task goes on.
            end = new Outcome(new ReportException(ReportException.Kind.MALFORMED, "the parser failed on it: " + e, -1, -1, e), null);
        } catch (Error e) {
            if (stopped) {
                return;
            }
            end = new Outcome(null, e);
        }
        if (stopped) {
            return;
        }
        outcome = end;
        try {
            queue.put(END);
        } catch (InterruptedException e) {
            // stopped while the queue was full: nobody will take the end
        }
    }

    private void put(SourceRecord record) {
        if (stopped) {
            throw new Stopped();
        }
        try {
            queue.put(record);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
    }

    /**
     * Up to {@code max} records: waits up to {@code wait} for the first, then takes what is queued without
     * waiting more. Once a batch carries an outcome, the parse is over and the thread is ending.
     */
    Batch next(int max, Duration wait) throws InterruptedException {
        SourceRecord first = queue.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
            return new Batch(List.of(), null);
        }
        if (first == END) {
            return new Batch(List.of(), outcome);
        }
        List<SourceRecord> out = new ArrayList<>(Math.min(max, queue.size() + 1));
        out.add(first);
        queue.drainTo(out, max - 1);
        // END is always the last thing queued, so if it was taken it is the last element.
        if (out.get(out.size() - 1) == END) {
            out.remove(out.size() - 1);
            return new Batch(out, outcome);
        }
        return new Batch(out, null);
    }

    /**
     * Stops the parse: interrupts the thread and waits up to {@code bound} for it to end. Returns whether it
     * ended; safe to call more than once and from any thread.
     */
    boolean stop(Duration bound) {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(Math.max(1, bound.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("parser thread {} did not end within {} ms of its stop; it is a daemon thread and ends at its next finding",
                    thread.getName(), bound.toMillis());
            return false;
        }
        queue.clear(); // the records nobody will take
        return true;
    }

    /** For tests and diagnostics. */
    Thread thread() {
        return thread;
    }
}
