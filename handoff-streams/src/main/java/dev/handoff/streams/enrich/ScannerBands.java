package dev.handoff.streams.enrich;

import dev.handoff.avro.SeverityBand;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps a scanner's own severity label to a band (the scanner band), for report parsers and manual entry.
 *
 * <p>Labels are matched case-insensitively after trimming, with runs of spaces, '_' and '-' read as one
 * space ("Very_High" is "very high"):
 * <ul>
 *   <li>CRITICAL: critical, crit, very high, urgent</li>
 *   <li>HIGH: high, error, serious, important</li>
 *   <li>MEDIUM: medium, moderate, warning, warn, med</li>
 *   <li>LOW: low, note, minor</li>
 *   <li>INFO: info, informational, none, negligible, unknown, and the empty label (or null)</li>
 *   <li>a decimal score such as "7.5" or "10.0": the CVSS scale of {@link CvssScores#bandOf}</li>
 * </ul>
 * A bare integer such as "3" is deliberately not read by {@link #tryFromLabel}: it may be a Nessus risk
 * factor (3 = HIGH) or a CVSS score (3 = LOW), and guessing could lower a finding. Parsers that know the
 * number is a Nessus level use {@link #fromNessusLevel}. Anything else is unknown.
 */
public final class ScannerBands {

    private static final Map<String, SeverityBand> LABELS = byLabel(Map.of(
            SeverityBand.CRITICAL, List.of("critical", "crit", "very high", "urgent"),
            SeverityBand.HIGH, List.of("high", "error", "serious", "important"),
            SeverityBand.MEDIUM, List.of("medium", "moderate", "warning", "warn", "med"),
            SeverityBand.LOW, List.of("low", "note", "minor"),
            SeverityBand.INFO, List.of("info", "informational", "none", "negligible", "unknown", "")));

    /** Nessus risk factors 0-4, indexed by level. */
    private static final List<SeverityBand> NESSUS_LEVELS = List.of(
            SeverityBand.INFO, SeverityBand.LOW, SeverityBand.MEDIUM, SeverityBand.HIGH, SeverityBand.CRITICAL);

    private static final Pattern SEPARATORS = Pattern.compile("[\\s_-]+");
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,2}\\.\\d+");
    private static final Pattern NESSUS_LEVEL = Pattern.compile("[0-4]");

    private ScannerBands() {
    }

    /** The band for a label; INFO when the label is unknown (use {@link #tryFromLabel} to tell). */
    public static SeverityBand fromLabel(String label) {
        return tryFromLabel(label).orElse(SeverityBand.INFO);
    }

    /** The band for a known label or a decimal CVSS score; empty when the label is unknown. */
    public static Optional<SeverityBand> tryFromLabel(String label) {
        String trimmed = label == null ? "" : label.trim();
        if (DECIMAL.matcher(trimmed).matches()) {
            double score = Double.parseDouble(trimmed);
            return CvssScores.isValidScore(score) ? Optional.of(CvssScores.bandOf(score)) : Optional.empty();
        }
        String words = SEPARATORS.matcher(trimmed.toLowerCase(Locale.ROOT)).replaceAll(" ");
        return Optional.ofNullable(LABELS.get(words));
    }

    /**
     * The band for a Nessus severity: "0".."4" as risk factors (0 INFO, 1 LOW, 2 MEDIUM, 3 HIGH,
     * 4 CRITICAL); anything else is read as a label, so Nessus' own risk_factor words work too.
     */
    public static Optional<SeverityBand> tryFromNessusLevel(String level) {
        String trimmed = level == null ? "" : level.trim();
        if (NESSUS_LEVEL.matcher(trimmed).matches()) {
            return Optional.of(NESSUS_LEVELS.get(Integer.parseInt(trimmed)));
        }
        return tryFromLabel(trimmed);
    }

    /** Like {@link #tryFromNessusLevel}, INFO when unknown. */
    public static SeverityBand fromNessusLevel(String level) {
        return tryFromNessusLevel(level).orElse(SeverityBand.INFO);
    }

    private static Map<String, SeverityBand> byLabel(Map<SeverityBand, List<String>> labelsByBand) {
        Map<String, SeverityBand> byLabel = new HashMap<>();
        labelsByBand.forEach((band, labels) -> labels.forEach(label -> {
            if (byLabel.put(label, band) != null) {
                throw new IllegalStateException("label '" + label + "' is mapped to two bands");
            }
        }));
        return Map.copyOf(byLabel);
    }
}
