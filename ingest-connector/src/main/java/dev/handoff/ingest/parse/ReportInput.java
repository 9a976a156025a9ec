package dev.handoff.ingest.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.stream.util.StreamReaderDelegate;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The bytes of one report behind the safety limits, handed to a parser as a streaming JSON parser,
 * a streaming XML reader, or the raw (limited) stream. Every reader it makes enforces
 * {@link ParseLimits}; XML never loads a DTD or an external entity, and a DOCTYPE is refused outright.
 */
public final class ReportInput {

    private final InputStream in;
    private final ParseLimits limits;

    public ReportInput(InputStream raw, ParseLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.in = new LimitedInputStream(Objects.requireNonNull(raw, "raw"), limits.maxBytes());
    }

    public ParseLimits limits() {
        return limits;
    }

    /** The report bytes, counted against the size limit. */
    public InputStream stream() {
        return in;
    }

    /** A streaming JSON parser with the depth and string limits; close it when done. */
    public JsonParser json() throws ReportException {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(limits.maxDepth())
                        .maxStringLength(limits.maxStringLength())
                        .maxNumberLength(1000)
                        .build())
                .build();
        try {
            return factory.createParser(in);
        } catch (IOException e) {
            throw jsonProblem(e);
        }
    }

    /** A streaming XML reader that refuses DTDs, never resolves entities, and enforces depth and text limits. */
    public XMLStreamReader xml() throws ReportException {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        factory.setXMLResolver((publicId, systemId, base, ns) -> {
            throw new XMLStreamException("external entity '" + systemId + "' refused");
        });
        try {
            return new Guarded(factory.createXMLStreamReader(in), limits);
        } catch (XMLStreamException e) {
            throw xmlProblem(e);
        }
    }

    // ------------------------------------------------------------------ errors with positions

    /** A Jackson failure as a report error with the line and column it happened at. */
    public static ReportException jsonProblem(IOException e) {
        if (e instanceof LimitExceeded limit) {
            return limit.toReportException();
        }
        JsonLocation at = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getLocation() : null;
        String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
        ReportException.Kind kind = e instanceof StreamConstraintsException ? ReportException.Kind.LIMIT_EXCEEDED : ReportException.Kind.MALFORMED;
        String prefix = kind == ReportException.Kind.LIMIT_EXCEEDED ? "report exceeds a parse limit: " : "malformed JSON: ";
        return new ReportException(kind, prefix + message, at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr(), e);
    }

    /** A StAX failure as a report error with the line and column it happened at. */
    public static ReportException xmlProblem(XMLStreamException e) {
        Throwable c = e;
        while (c != null) {
            if (c instanceof LimitExceeded limit) {
                return limit.toReportException();
            }
            if (c instanceof Unsafe unsafe) {
                return unsafe.report;
            }
            c = c.getCause() == c ? null : c.getCause();
        }
        Location at = e.getLocation();
        String message = e.getMessage() == null ? e.toString() : e.getMessage().replaceFirst("^ParseError at \\[row,col\\]:\\[\\d+,\\d+\\]\\s*Message: ", "");
        return new ReportException(ReportException.Kind.MALFORMED, "malformed XML: " + message,
                at == null ? -1 : at.getLineNumber(), at == null ? -1 : at.getColumnNumber(), e);
    }

    // ------------------------------------------------------------------ limits

    /** Thrown (as an IOException, so it passes through parsers) when the byte limit is crossed. */
    static final class LimitExceeded extends IOException {
        final ReportException.Kind kind;

        LimitExceeded(ReportException.Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        ReportException toReportException() {
            return new ReportException(kind, getMessage());
        }
    }

    private static final class LimitedInputStream extends FilterInputStream {
        private final long max;
        private long read;

        LimitedInputStream(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws LimitExceeded {
            read += n;
            if (read > max) {
                throw new LimitExceeded(ReportException.Kind.TOO_LARGE, "report is larger than the limit of " + max
                        + " bytes (ingest.limit.bytes)");
            }
        }
    }

    /** The XML reader behind the guard: no DOCTYPE, bounded depth and text. */
    private static final class Guarded extends StreamReaderDelegate {
        private final ParseLimits limits;
        private int depth;

        Guarded(XMLStreamReader reader, ParseLimits limits) {
            super(reader);
            this.limits = limits;
        }

        @Override
        public int next() throws XMLStreamException {
            int event = super.next();
            switch (event) {
                case XMLStreamConstants.DTD -> {
                    Location at = getLocation();
                    throw new XMLStreamException(new Unsafe(new ReportException(ReportException.Kind.UNSAFE,
                            "XML with a DOCTYPE is refused: Handoff never reads DTDs or external entities",
                            at.getLineNumber(), at.getColumnNumber(), null)));
                }
                case XMLStreamConstants.ENTITY_REFERENCE -> {
                    Location at = getLocation();
                    throw new XMLStreamException(new Unsafe(new ReportException(ReportException.Kind.UNSAFE,
                            "XML entity reference '&" + getLocalName() + ";' refused: Handoff never resolves entities",
                            at.getLineNumber(), at.getColumnNumber(), null)));
                }
                case XMLStreamConstants.START_ELEMENT -> {
                    if (++depth > limits.maxDepth()) {
                        throw new XMLStreamException(new LimitExceeded(ReportException.Kind.LIMIT_EXCEEDED,
                                "XML nesting deeper than " + limits.maxDepth() + " (ingest.limit.depth) at line "
                                        + getLocation().getLineNumber()));
                    }
                    for (int i = 0; i < getAttributeCount(); i++) {
                        checkLength(getAttributeValue(i));
                    }
                }
                case XMLStreamConstants.END_ELEMENT -> depth--;
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA -> {
                    if (getTextLength() > limits.maxStringLength()) {
                        checkLength(getText());
                    }
                }
                default -> {
                }
            }
            return event;
        }

        @Override
        public String getElementText() throws XMLStreamException {
            String text = super.getElementText();
            depth--; // getElementText consumed the end tag, which next() never saw
            checkLength(text);
            return text;
        }

        private void checkLength(String s) throws XMLStreamException {
            if (s != null && s.length() > limits.maxStringLength()) {
                throw new XMLStreamException(new LimitExceeded(ReportException.Kind.LIMIT_EXCEEDED,
                        "an XML value longer than " + limits.maxStringLength() + " characters (ingest.limit.string) at line "
                                + getLocation().getLineNumber()));
            }
        }
    }

    /** Carries an UNSAFE refusal through StAX. */
    private static final class Unsafe extends Exception {
        final ReportException report;

        Unsafe(ReportException report) {
            super(report.getMessage(), null, false, false);
            this.report = report;
        }
    }
}
