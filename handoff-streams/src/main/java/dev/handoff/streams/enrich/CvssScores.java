package dev.handoff.streams.enrich;

import dev.handoff.avro.CvssScore;
import dev.handoff.avro.SeverityBand;
import us.springett.cvss.Cvss;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Chooses the CVSS score a finding is judged by and maps CVSS scores to severity bands. */
public final class CvssScores {

    /** Newest first: a newer version is the more precise judgement of the same weakness. */
    private static final List<String> PREFERENCE = List.of("4.0", "3.1", "3.0", "2.0");

    /** Publishers round differently; only a larger gap means the score and the vector disagree. */
    private static final double TOLERANCE = 0.1;

    /** Keeps binary noise such as 9.8 - 9.7 = 0.10000000000000142 from counting as a disagreement. */
    private static final double EPSILON = 1e-9;

    /** "3.1", "v3.1", "CVSS:3.1", "cvssv3", "3": scanners spell the version in many ways. */
    private static final Pattern VERSION = Pattern.compile("(?:cvss)?[\\s:_v]*(\\d)(?:\\.(\\d))?");

    private CvssScores() {
    }

    /**
     * A usable CVSS score.
     *
     * @param version   normalised version: "4.0", "3.1", "3.0" or "2.0"
     * @param baseScore base score within 0.0-10.0
     * @param vector    the vector the score belongs to; null when the report had none or it was invalid
     * @param computed  true when the score was computed from the vector, false when taken from the report
     */
    public record Score(String version, double baseScore, String vector, boolean computed) {
    }

    /**
     * The chosen score together with everything questionable found on the way, for the enrichment log.
     *
     * @param chosen   the chosen score, null when no entry was usable
     * @param warnings one message per unusable entry, invalid vector or score disagreement, in report order
     */
    public record Assessment(Score chosen, List<String> warnings) {

        public Assessment {
            warnings = List.copyOf(warnings);
        }

        /** The chosen score, if any entry was usable. */
        public Optional<Score> best() {
            return Optional.ofNullable(chosen);
        }
    }

    /** The score of the newest CVSS version the report carries a usable entry for; see {@link #assess}. */
    public static Optional<Score> best(List<CvssScore> scores) {
        return assess(scores).best();
    }

    /**
     * Evaluates every entry and chooses one. Versions are preferred 4.0, 3.1, 3.0, 2.0; an unusable entry
     * of a newer version falls through to the next usable one. Within one version a computed score beats
     * a reported one (it can be checked), otherwise the report's order decides.
     *
     * <p>For v2 and v3.x a parsable vector is scored with cvss-calculator and wins over the report's
     * base_score (a gap above 0.1 is warned about); an absent or unparsable vector falls back to the
     * base_score. For v4.0 the base_score is used and the vector only checked for syntax. Base scores
     * outside 0.0-10.0 are ignored as invalid.
     */
    public static Assessment assess(List<CvssScore> scores) {
        List<String> warnings = new ArrayList<>();
        Score chosen = null;
        for (CvssScore entry : scores == null ? List.<CvssScore>of() : scores) {
            Optional<String> version = normaliseVersion(entry.getVersion());
            if (version.isEmpty()) {
                warnings.add("cvss version '" + entry.getVersion() + "' is not supported; entry ignored");
                continue;
            }
            Optional<Score> score = evaluate(version.get(), entry, warnings);
            if (score.isPresent() && (chosen == null || better(score.get(), chosen))) {
                chosen = score.get();
            }
        }
        return new Assessment(chosen, warnings);
    }

    /**
     * The CVSS v3 qualitative rating, also applied to v2 and v4 scores: 9.0-10.0 CRITICAL, 7.0-8.9 HIGH,
     * 4.0-6.9 MEDIUM, 0.1-3.9 LOW, 0.0 INFO.
     *
     * @throws IllegalArgumentException when the score is not within 0.0-10.0
     */
    public static SeverityBand bandOf(double score) {
        if (!isValidScore(score)) {
            throw new IllegalArgumentException("CVSS score must be within 0.0-10.0, got " + score);
        }
        // CVSS scores have one decimal; rounding to it keeps noise such as 6.9999999 off the boundaries.
        double tenth = Math.round(score * 10) / 10.0;
        if (tenth >= 9.0) {
            return SeverityBand.CRITICAL;
        } else if (tenth >= 7.0) {
            return SeverityBand.HIGH;
        } else if (tenth >= 4.0) {
            return SeverityBand.MEDIUM;
        } else if (tenth > 0.0) {
            return SeverityBand.LOW;
        }
        return SeverityBand.INFO;
    }

    /** Whether the value is a possible CVSS score: finite and within 0.0-10.0. */
    public static boolean isValidScore(double score) {
        return Double.isFinite(score) && score >= 0.0 && score <= 10.0;
    }

    /** The version as "4.0", "3.1", "3.0" or "2.0", or empty when it is none of those. */
    static Optional<String> normaliseVersion(String version) {
        if (version == null) {
            return Optional.empty();
        }
        Matcher m = VERSION.matcher(version.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        String normalised = m.group(1) + "." + (m.group(2) == null ? "0" : m.group(2));
        return PREFERENCE.contains(normalised) ? Optional.of(normalised) : Optional.empty();
    }

    private static boolean better(Score candidate, Score current) {
        int byVersion = Integer.compare(PREFERENCE.indexOf(candidate.version()), PREFERENCE.indexOf(current.version()));
        return byVersion < 0 || (byVersion == 0 && candidate.computed() && !current.computed());
    }

    private static Optional<Score> evaluate(String version, CvssScore entry, List<String> warnings) {
        String label = "cvss " + version + " (" + (entry.getSource() == null ? "no source" : entry.getSource()) + ")";
        Double given = entry.getBaseScore();
        if (given != null && !isValidScore(given)) {
            warnings.add(label + " base_score " + given + " is outside 0.0-10.0; ignored");
            given = null;
        }
        String vector = entry.getVector() == null || entry.getVector().isBlank() ? null : entry.getVector().trim();
        if (vector != null) {
            Optional<Score> fromVector = "4.0".equals(version)
                    ? checkV4(vector, given, label, warnings)
                    : compute(version, vector, given, label, warnings);
            if (fromVector.isPresent()) {
                return fromVector;
            }
        }
        if (given != null) {
            return Optional.of(new Score(version, given, null, false));
        }
        String lack = vector == null ? " has neither a vector nor a base_score" : " has no base_score to fall back on";
        warnings.add(label + lack + "; entry ignored");
        return Optional.empty();
    }

    /** CVSS 4.0: the syntax check names what is wrong; a sound vector is scored by cvss-calculator's CvssV4. */
    private static Optional<Score> checkV4(String vector, Double given, String label, List<String> warnings) {
        List<String> problems = CvssV4Vectors.problems(vector);
        if (!problems.isEmpty()) {
            warnings.add(label + " vector '" + vector + "' is invalid: " + String.join("; ", problems));
            return Optional.empty();
        }
        double computed;
        try {
            computed = Cvss.fromVector(vector).calculateScore().getBaseScore();
        } catch (RuntimeException e) {
            warnings.add(label + " vector '" + vector + "' could not be scored: " + e.getMessage());
            return given == null ? Optional.empty() : Optional.of(new Score("4.0", given, vector, false));
        }
        warnIfDisagrees(label, given, computed, warnings);
        return Optional.of(new Score("4.0", computed, vector, true));
    }

    private static Optional<Score> compute(String version, String vector, Double given, String label,
                                           List<String> warnings) {
        String parsable = "2.0".equals(version) && vector.startsWith("CVSS:2.0/")
                ? vector.substring("CVSS:2.0/".length()) // v2 has no prefix, but some tools add one
                : vector;
        if (!prefixMatches(version, parsable)) {
            warnings.add(label + " vector '" + vector + "' does not belong to version " + version);
            return Optional.empty();
        }
        double computed;
        try {
            computed = Cvss.fromVector(parsable).calculateScore().getBaseScore();
        } catch (RuntimeException e) {
            // The library reports bad input with several unchecked exceptions (MalformedVectorException,
            // index errors on an empty metric value); all of them mean the report's vector is garbage.
            warnings.add(label + " vector '" + vector + "' is unparsable: " + e.getMessage());
            return Optional.empty();
        }
        if (!isValidScore(computed)) {
            warnings.add(label + " vector '" + vector + "' scored " + computed + ", outside 0.0-10.0");
            return Optional.empty();
        }
        warnIfDisagrees(label, given, computed, warnings);
        return Optional.of(new Score(version, computed, vector, true));
    }

    private static void warnIfDisagrees(String label, Double given, double computed, List<String> warnings) {
        if (given != null && Math.abs(computed - given) > TOLERANCE + EPSILON) {
            warnings.add(label + " base_score " + given + " disagrees with its vector's score " + computed
                    + "; the vector's score is used");
        }
    }

    private static boolean prefixMatches(String version, String vector) {
        return switch (version) {
            case "3.1" -> vector.startsWith("CVSS:3.1/");
            case "3.0" -> vector.startsWith("CVSS:3.0/");
            default -> !vector.startsWith("CVSS:");
        };
    }
}
