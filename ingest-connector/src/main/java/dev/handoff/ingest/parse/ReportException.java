package dev.handoff.ingest.parse;

/**
 * A report Handoff will not accept, with why and, where known, the line and column. Nothing of a
 * refused report is produced.
 */
public final class ReportException extends Exception {

    /** What went wrong; the HTTP intake maps these to status codes. */
    public enum Kind {
        /** Not well-formed JSON, XML or CSV, or not the shape its format requires (400). */
        MALFORMED,
        /** Larger than the byte limit (413). */
        TOO_LARGE,
        /** Deeper, longer or with more findings than a limit allows (413). */
        LIMIT_EXCEEDED,
        /** Refused for safety: a DOCTYPE, external entities (400). */
        UNSAFE,
        /** No parser recognises it, or the named format is unknown (415). */
        UNKNOWN_FORMAT
    }

    private final Kind kind;
    private final long line;
    private final long column;

    public ReportException(Kind kind, String message) {
        this(kind, message, -1, -1, null);
    }

    public ReportException(Kind kind, String message, long line, long column, Throwable cause) {
        super(message + (line > 0 ? " (line " + line + (column > 0 ? ", column " + column : "") + ")" : ""), cause);
        this.kind = kind;
        this.line = line;
        this.column = column;
    }

    public Kind kind() {
        return kind;
    }

    /** 1-based line of the problem, or -1 when unknown. */
    public long line() {
        return line;
    }

    /** 1-based column of the problem, or -1 when unknown. */
    public long column() {
        return column;
    }
}
