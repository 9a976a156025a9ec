package dev.handoff.ingest.parse;

/**
 * Bounds on one report, each with a clear error when crossed. Defaults suit CI uploads of large
 * scans; every one is configurable ({@code ingest.limit.*}).
 *
 * @param maxBytes        report size in bytes ({@code ingest.limit.bytes}, default 256 MiB)
 * @param maxDepth        JSON or XML nesting depth ({@code ingest.limit.depth}, default 128)
 * @param maxStringLength one JSON string or XML text/attribute value, in characters ({@code ingest.limit.string}, default 4 Mi)
 * @param maxFindings     findings in one report ({@code ingest.limit.findings}, default 1 000 000)
 */
public record ParseLimits(long maxBytes, int maxDepth, int maxStringLength, int maxFindings) {

    public static ParseLimits defaults() {
        return new ParseLimits(256L * 1024 * 1024, 128, 4 * 1024 * 1024, 1_000_000);
    }

    public ParseLimits {
        if (maxBytes < 1 || maxDepth < 1 || maxStringLength < 1 || maxFindings < 1) {
            throw new IllegalArgumentException("every parse limit must be positive: bytes=" + maxBytes + ", depth=" + maxDepth
                    + ", string=" + maxStringLength + ", findings=" + maxFindings);
        }
    }
}
