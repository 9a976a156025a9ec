package dev.handoff.streams.enrich;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Syntax check of CVSS 4.0 vector strings, so that garbage in a report is reported rather than trusted. */
public final class CvssV4Vectors {

    /** Every CVSS 4.0 vector starts with this. */
    public static final String PREFIX = "CVSS:4.0/";

    /** Mandatory base metrics and their allowed values (FIRST CVSS v4.0 specification, section 7). */
    private static final Map<String, Set<String>> BASE = metrics(
            "AV", "N A L P",
            "AC", "L H",
            "AT", "N P",
            "PR", "N L H",
            "UI", "N P A",
            "VC", "H L N",
            "VI", "H L N",
            "VA", "H L N",
            "SC", "H L N",
            "SI", "H L N",
            "SA", "H L N");

    /** Threat, environmental and supplemental metrics: optional, but a vector naming them must use valid values. */
    private static final Map<String, Set<String>> OPTIONAL = metrics(
            "E", "X A P U",
            "CR", "X H M L",
            "IR", "X H M L",
            "AR", "X H M L",
            "MAV", "X N A L P",
            "MAC", "X L H",
            "MAT", "X N P",
            "MPR", "X N L H",
            "MUI", "X N P A",
            "MVC", "X H L N",
            "MVI", "X H L N",
            "MVA", "X H L N",
            "MSC", "X H L N",
            "MSI", "X S H L N",
            "MSA", "X S H L N",
            "S", "X N P",
            "AU", "X N Y",
            "R", "X A U I",
            "V", "X D C",
            "RE", "X L M H",
            "U", "X Clear Green Amber Red");

    private CvssV4Vectors() {
    }

    /** Whether the vector is a syntactically valid CVSS 4.0 vector. */
    public static boolean isValid(String vector) {
        return problems(vector).isEmpty();
    }

    /**
     * What is wrong with the vector, empty when it is valid. Metric order is not enforced although the
     * specification fixes one: a reordered vector still says unambiguously what was scored.
     */
    public static List<String> problems(String vector) {
        if (vector == null || vector.isBlank()) {
            return List.of("vector is empty");
        }
        if (!vector.startsWith(PREFIX)) {
            return List.of("vector does not start with " + PREFIX);
        }
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        // A limit of -1 keeps trailing empty segments, so "…/SA:N/" is reported instead of accepted.
        for (String segment : vector.substring(PREFIX.length()).split("/", -1)) {
            checkSegment(segment, seen, problems);
        }
        List<String> missing = BASE.keySet().stream().filter(m -> !seen.contains(m)).toList();
        if (!missing.isEmpty()) {
            problems.add("missing base metrics " + String.join(", ", missing));
        }
        return problems;
    }

    private static void checkSegment(String segment, Set<String> seen, List<String> problems) {
        int colon = segment.indexOf(':');
        if (colon <= 0) {
            problems.add("segment '" + segment + "' is not METRIC:VALUE");
            return;
        }
        String metric = segment.substring(0, colon);
        String value = segment.substring(colon + 1);
        Set<String> allowed = BASE.containsKey(metric) ? BASE.get(metric) : OPTIONAL.get(metric);
        if (allowed == null) {
            problems.add("unknown metric '" + metric + "'");
        } else if (!seen.add(metric)) {
            problems.add("metric " + metric + " appears more than once");
        } else if (!allowed.contains(value)) {
            problems.add("invalid value '" + value + "' for " + metric
                    + " (allowed: " + String.join(", ", allowed) + ")");
        }
    }

    private static Map<String, Set<String>> metrics(String... namesAndValues) {
        Map<String, Set<String>> metrics = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            Set<String> values = new LinkedHashSet<>(List.of(namesAndValues[i + 1].split(" ")));
            metrics.put(namesAndValues[i], Collections.unmodifiableSet(values));
        }
        return Collections.unmodifiableMap(metrics);
    }
}
