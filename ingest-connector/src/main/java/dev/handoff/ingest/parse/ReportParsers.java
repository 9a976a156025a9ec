package dev.handoff.ingest.parse;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Every parser, by format, and the one entry point: detect the format (unless given), refuse unsafe
 * input, parse under the limits, count. Parsers register through {@link ServiceLoader}
 * ({@code META-INF/services/dev.handoff.ingest.parse.ReportParser}).
 */
public final class ReportParsers {

    private final Map<ReportFormat, ReportParser> parsers = new EnumMap<>(ReportFormat.class);

    public ReportParsers() {
        for (ReportParser p : ServiceLoader.load(ReportParser.class, ReportParsers.class.getClassLoader())) {
            parsers.put(p.format(), p);
        }
    }

    public boolean supports(ReportFormat format) {
        return parsers.containsKey(format);
    }

    /**
     * Parses a report, streaming each finding to {@code sink}.
     *
     * @param format the format, or empty to detect it from the content
     * @throws ReportException malformed, too large, over a limit, unsafe (a DOCTYPE), or of no known format
     */
    public ReportSummary parse(InputStream raw, Optional<ReportFormat> format, ParseLimits limits, FindingSink sink) throws ReportException {
        BufferedInputStream in = new BufferedInputStream(raw, FormatDetector.PREFIX_BYTES);
        byte[] prefix = new byte[FormatDetector.PREFIX_BYTES];
        int n;
        try {
            in.mark(FormatDetector.PREFIX_BYTES);
            n = in.readNBytes(prefix, 0, prefix.length);
            in.reset();
        } catch (IOException e) {
            throw new ReportException(ReportException.Kind.MALFORMED, "cannot read the report: " + e.getMessage(), -1, -1, e);
        }
        if (FormatDetector.declaresDoctype(prefix, n)) {
            throw new ReportException(ReportException.Kind.UNSAFE,
                    "XML with a DOCTYPE is refused: Handoff never reads DTDs or external entities");
        }
        ReportFormat f = format.isPresent() ? format.get() : FormatDetector.detect(prefix, n).orElseThrow(() ->
                new ReportException(ReportException.Kind.UNKNOWN_FORMAT, (n == 0 ? "the report is empty" : "unrecognised report format")
                        + "; name it with format= (an empty list like [] has nothing to recognise); known formats: " + ReportFormat.known()));
        ReportParser parser = parsers.get(f);
        if (parser == null) {
            throw new ReportException(ReportException.Kind.UNKNOWN_FORMAT, "format " + f.id() + " is not supported by this build; supported: "
                    + String.join(", ", parsers.keySet().stream().map(ReportFormat::id).toList()));
        }
        Map<String, Long> labels = new HashMap<>();
        Map<String, Long> bands = new HashMap<>();
        long[] count = {0};
        parser.parse(new ReportInput(in, limits), finding -> {
            if (++count[0] > limits.maxFindings()) {
                throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "the report holds more than " + limits.maxFindings()
                        + " findings (ingest.limit.findings)");
            }
            labels.merge(finding.severityLabel(), 1L, Long::sum);
            bands.merge(finding.band().name(), 1L, Long::sum);
            sink.accept(finding);
        });
        return new ReportSummary(f, count[0], labels, bands);
    }
}
