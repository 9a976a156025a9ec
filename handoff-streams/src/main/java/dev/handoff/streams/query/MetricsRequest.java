package dev.handoff.streams.query;

import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.metrics.CohortKey;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The parameters of a metrics query, checked: cohort days {@code from..to} inclusive, the bands, one
 * dimension and optionally one of its keys, and the window granularity of a time series.
 */
public record MetricsRequest(LocalDate from, LocalDate to, Set<SeverityBand> bands, MetricDimension dimension, String key,
                             WindowGranularity granularity) {

    public static final int DEFAULT_DAYS = 30;
    public static final int MAX_DAYS = 400;
    private static final Set<String> KNOWN = new java.util.LinkedHashSet<>(List.of("from", "to", "severity", "dimension", "key",
            "granularity", "range", "parts", "detail"));

    public MetricsRequest {
        bands = bands.isEmpty() ? EnumSet.allOf(SeverityBand.class) : EnumSet.copyOf(bands);
    }

    /** Reads {@code from, to, severity, dimension, key, granularity}; every problem is a 400 that names the parameter. */
    public static MetricsRequest parse(Map<String, List<String>> params, LocalDate today) {
        for (String name : params.keySet()) {
            if (!KNOWN.contains(name)) {
                throw QueryException.badRequest("unknown parameter '" + name + "'; the metrics endpoints take " + KNOWN);
            }
        }
        LocalDate to = date(params, "to", today);
        LocalDate from = date(params, "from", to.minusDays(DEFAULT_DAYS - 1));
        if (from.isAfter(to)) {
            throw QueryException.badRequest("from (" + from + ") is after to (" + to + ")");
        }
        if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
            throw QueryException.badRequest("a query covers at most " + MAX_DAYS + " days; " + from + " to " + to + " is "
                    + (ChronoUnit.DAYS.between(from, to) + 1));
        }
        Set<SeverityBand> bands = EnumSet.noneOf(SeverityBand.class);
        String severity = single(params, "severity");
        if (severity != null && !severity.isBlank()) {
            for (String part : severity.split(",")) {
                bands.add(parseEnum(SeverityBand.class, part, "severity"));
            }
        }
        String dimensionText = single(params, "dimension");
        MetricDimension dimension = dimensionText == null || dimensionText.isBlank() ? MetricDimension.ALL
                : parseEnum(MetricDimension.class, dimensionText, "dimension");
        String key = single(params, "key");
        if (key != null && key.isBlank()) {
            key = null;
        }
        if (dimension == MetricDimension.ALL && key != null && !key.equals(CohortKey.ALL)) {
            throw QueryException.badRequest("dimension ALL has the single key 'all', not '" + key + "'");
        }
        if (key != null && (key.length() > 512 || key.chars().anyMatch(Character::isISOControl))) {
            throw QueryException.badRequest("key is longer than 512 characters or holds a control character");
        }
        String g = single(params, "granularity");
        WindowGranularity granularity = g == null || g.isBlank() ? WindowGranularity.DAY : parseEnum(WindowGranularity.class, g, "granularity");
        return new MetricsRequest(from, to, bands, dimension, dimension == MetricDimension.ALL ? CohortKey.ALL : key, granularity);
    }

    /** The same request as query parameters, for forwarding to another instance. */
    public String queryString() {
        StringBuilder q = new StringBuilder("from=").append(from).append("&to=").append(to)
                .append("&severity=").append(bands.stream().map(Enum::name).collect(Collectors.joining(",")))
                .append("&dimension=").append(dimension).append("&granularity=").append(granularity);
        if (key != null) {
            q.append("&key=").append(URLEncoder.encode(key, StandardCharsets.UTF_8));
        }
        return q.toString();
    }

    private static LocalDate date(Map<String, List<String>> params, String name, LocalDate fallback) {
        String v = single(params, name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return LocalDate.parse(v.trim());
        } catch (DateTimeParseException e) {
            throw QueryException.badRequest(name + " must be a date YYYY-MM-DD, was '" + v + "'");
        }
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw QueryException.badRequest(name + " is given " + values.size() + " times; give it once");
        }
        return values.get(0);
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String raw, String name) {
        try {
            return Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw QueryException.badRequest(name + " must be one of " + EnumSet.allOf(type) + ", was '" + raw + "'");
        }
    }
}
