package dev.handoff.streams.metrics;

import dev.handoff.avro.FindingState;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;

import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;

/**
 * One cohort: findings whose handoff started on {@code day}, in {@code band}, with {@code key} as their
 * value of {@code dimension}. Its id orders a series' days together and in order:
 * {@code DIMENSION|key|BAND|yyyy-MM-dd}, so {@link #series()} is a prefix and a range of days is a key range.
 */
public record CohortKey(MetricDimension dimension, String key, SeverityBand band, LocalDate day) {

    /** The dimension key of findings that have no value for a dimension (no team, no business unit). */
    public static final String NONE = "none";
    public static final String ALL = "all";

    public CohortKey {
        Objects.requireNonNull(dimension, "dimension");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(band, "band");
        Objects.requireNonNull(day, "day");
    }

    /** The five cohorts a finding belongs to, one per dimension. */
    public static List<CohortKey> of(FindingState s, ZoneId zone) {
        return of(HandoffMetrics.cohortDay(s, zone), s.getBand(), s.getTeamId(), s.getBusinessUnit(), s.getSourceTool().getName(),
                s.getOrigin().name());
    }

    /** The five cohorts of a finding with these values (a blank or missing value is {@value #NONE}). */
    public static List<CohortKey> of(LocalDate day, SeverityBand band, String team, String businessUnit, String sourceTool, String origin) {
        return List.of(
                new CohortKey(MetricDimension.ALL, ALL, band, day),
                new CohortKey(MetricDimension.TEAM, orNone(team), band, day),
                new CohortKey(MetricDimension.BUSINESS_UNIT, orNone(businessUnit), band, day),
                new CohortKey(MetricDimension.SOURCE_TOOL, orNone(sourceTool), band, day),
                new CohortKey(MetricDimension.CAPTURE_ORIGIN, origin, band, day));
    }

    /** {@code DIMENSION|key|BAND|yyyy-MM-dd}. */
    public String id() {
        return series() + day;
    }

    /** {@code DIMENSION|key|BAND|}: the prefix every day of this series shares. */
    public String series() {
        return series(dimension, key, band);
    }

    public static String series(MetricDimension dimension, String key, SeverityBand band) {
        return dimension.name() + "|" + escape(key) + "|" + band.name() + "|";
    }

    /** {@code DIMENSION|key|}: the prefix of every band and day of one dimension value. */
    public static String keyPrefix(MetricDimension dimension, String key) {
        return dimension.name() + "|" + escape(key) + "|";
    }

    public static CohortKey parse(String id) {
        String[] parts = id.split("\\|", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("cohort id must be DIMENSION|key|BAND|yyyy-MM-dd, was '" + id + "'");
        }
        try {
            return new CohortKey(MetricDimension.valueOf(parts[0]), unescape(parts[1]), SeverityBand.valueOf(parts[2]),
                    LocalDate.parse(parts[3]));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IllegalArgumentException("cohort id must be DIMENSION|key|BAND|yyyy-MM-dd, was '" + id + "': " + e.getMessage(), e);
        }
    }

    /** The series part of a cohort id (everything before the day), which decides its partition. */
    public static String seriesOf(String id) {
        int cut = id.lastIndexOf('|');
        return cut < 0 ? id : id.substring(0, cut + 1);
    }

    private static String orNone(String value) {
        return value == null || value.isBlank() ? NONE : value;
    }

    // '|' separates the parts and '%' escapes; nothing else in a key needs care.
    private static String escape(String key) {
        return key.indexOf('|') < 0 && key.indexOf('%') < 0 ? key : key.replace("%", "%25").replace("|", "%7C");
    }

    private static String unescape(String key) {
        return key.indexOf('%') < 0 ? key : key.replace("%7C", "|").replace("%25", "%");
    }
}
