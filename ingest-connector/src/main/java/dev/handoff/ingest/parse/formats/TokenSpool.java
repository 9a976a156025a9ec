package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportException;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Holds values of a report whose context comes later in the file (a SARIF run's rules and artifacts may
 * follow its results) as copies of their tokens in Smile, Jackson's binary JSON: the parser copies
 * each value straight from the report's token stream, so no tree is built until the value is read
 * back, and field names shared between values are written once. Up to {@code memoryBytes} of Smile
 * stay in memory; beyond that the spool moves to a temporary file (owner-only permissions, deleted on
 * close), so memory stays flat however many values a report holds.
 *
 * <p>Write one entry with {@link #begin} and then exactly one value to the generator it returns.
 */
final class TokenSpool implements Closeable {

    private final SmileFactory smile;
    private final Spill bytes;
    private JsonGenerator out;
    private boolean empty = true;

    TokenSpool(ParseLimits limits, long memoryBytes) {
        // What the report's parser allowed must read back: the same string and depth limits.
        this.smile = SmileFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(limits.maxDepth() + 8)
                        .maxStringLength(limits.maxStringLength())
                        .maxNumberLength(1000)
                        .build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(limits.maxDepth() + 8).build())
                .build();
        this.bytes = new Spill(memoryBytes);
    }

    /** Starts an entry that began at this line and column of the report; write its value to the generator returned. */
    JsonGenerator begin(long line, long column) throws IOException {
        if (out == null) {
            out = smile.createGenerator(bytes);
        }
        out.writeNumber(line);
        out.writeNumber(column);
        empty = false;
        return out;
    }

    /** Hands every entry, in order, to {@code consumer} as a tree, then empties the spool. */
    void drain(SastJson.SpoolConsumer consumer) throws IOException, ReportException {
        if (empty) {
            return;
        }
        out.close();
        out = null;
        try (JsonParser in = bytes.file == null
                ? smile.createParser(bytes.memory.toByteArray())
                : smile.createParser(bytes.file.toFile())) {
            while (in.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                long line = in.getLongValue();
                in.nextToken();
                long column = in.getLongValue();
                in.nextToken();
                JsonNode node = SastJson.MAPPER.readTree(in);
                consumer.accept(new SastJson.Spooled(line, column, node));
            }
        }
        empty = true;
        bytes.reset();
    }

    @Override
    public void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // closing what we only wrote; nothing to recover
            }
            out = null;
        }
        bytes.reset();
    }

    /**
     * Failure to hold spooled values (no temporary file, disk full): an IOException so it passes the
     * generator, told apart from the report's own JSON errors by the parser that catches it.
     */
    static final class Failure extends IOException {
        private final ReportException report;

        Failure(ReportException report) {
            super(report.getMessage(), report);
            this.report = report;
        }

        ReportException report() {
            return report;
        }
    }

    /** Memory up to a bound, then a temporary file holding everything written so far and after. */
    private static final class Spill extends OutputStream {
        private final long memoryBytes;
        private ByteArrayOutputStream memory = new ByteArrayOutputStream(8192);
        private Path file;
        private OutputStream disk;

        Spill(long memoryBytes) {
            this.memoryBytes = memoryBytes;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (disk == null && memory.size() + (long) len > memoryBytes) {
                spill();
            }
            if (disk == null) {
                memory.write(b, off, len);
                return;
            }
            try {
                disk.write(b, off, len);
            } catch (IOException e) {
                throw new Failure(new ReportException(ReportException.Kind.LIMIT_EXCEEDED,
                        "cannot buffer the report's results in a temporary file: " + e.getMessage()));
            }
        }

        @Override
        public void close() throws IOException {
            if (disk != null) {
                disk.close();
            }
        }

        private void spill() throws Failure {
            try {
                file = Files.createTempFile("handoff-report-spool-", ".smile");
                disk = Files.newOutputStream(file);
                memory.writeTo(disk);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                throw new Failure(new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "the report's results need more than "
                        + memoryBytes + " bytes of buffering and no temporary file could be created: " + e.getMessage()));
            } finally {
                memory = new ByteArrayOutputStream(8192); // let the full buffer go while the file holds the rest
            }
        }

        /** Back to empty memory, the file (if any) deleted. */
        void reset() {
            if (memory.size() > 0) {
                memory = new ByteArrayOutputStream(8192);
            }
            if (disk != null) {
                try {
                    disk.close();
                } catch (IOException ignored) {
                    // a file we only wrote; it is deleted next
                }
                disk = null;
            }
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless; the OS cleans its temp directory
                }
                file = null;
            }
        }
    }
}
