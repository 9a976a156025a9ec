package dev.handoff.launcher.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.SeverityBand;

import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compares the pipeline's final {@code metrics.handoff} rows (DAY rows of dimension ALL, as the JSON of their Avro
 * records) with {@link GroundTruth}, each row against the truth of its own cohort at its own {@code as_of}: every count
 * must be equal; per severity, p50 and p90 (merged day sketches) must be within 1 % of the exact lower quantiles; the
 * workspace gauges must equal the truth's. The same code checks a live run and a {@code --dump} read back from disk.
 */
public final class Accuracy {

    /** Relative error DDSketch guarantees for the sketches Handoff publishes. */
    public static final double SKETCH_ERROR = 0.01;

    /** One severity's figures, true and reported. */
    public record Band(SeverityBand band, long captured, long acknowledged, Long p50True, Long p50, Long p90True, Long p90,
                       Double noAckRateTrue, Double noAckRate, long breachesTrue, long breaches) {
        Double p50Error() {
            return error(p50True, p50);
        }

        Double p90Error() {
            return error(p90True, p90);
        }

        private static Double error(Long truth, Long reported) {
            if (truth == null || reported == null) {
                return truth == null && reported == null ? 0.0 : null;
            }
            return truth == 0 ? (reported == 0 ? 0.0 : 1.0) : Math.abs(reported - truth) / (double) truth;
        }
    }

    /** The outcome: per band figures, breaches by mode, gauges, and every difference found. */
    public record Result(List<Band> bands, Map<FailureMode, long[]> breachesByMode, Map<FailureMode, long[]> noAcksByMode,
                         long[] unroutedDepth, long[] open, long rows, List<String> differences) {
        public boolean exact() {
            return differences.isEmpty();
        }
    }

    private Accuracy() {
    }

    /**
     * @param rows   the final DAY rows of dimension ALL (any other row is ignored)
     * @param gauges the pipeline's workspace gauges (unrouted_depth, open_findings), or null when not known
     */
    public static Result check(GroundTruth truth, List<JsonNode> rows, JsonNode gauges) {
        List<String> diffs = new ArrayList<>();
        Map<SeverityBand, List<long[]>> trueLatencies = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, DDSketch> sketches = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, long[]> sums = new EnumMap<>(SeverityBand.class); // captured, acked, N, A+N, breaches | truth N, A+N, breaches
        Map<FailureMode, long[]> byMode = new EnumMap<>(FailureMode.class);
        Map<FailureMode, long[]> noAckByMode = new EnumMap<>(FailureMode.class);
        Set<GroundTruth.CohortId> seen = new HashSet<>();
        long checked = 0;
        for (JsonNode row : rows) {
            if (!"DAY".equals(row.path("granularity").asText()) || !"ALL".equals(row.path("dimension").asText())) {
                continue;
            }
            checked++;
            SeverityBand band = SeverityBand.valueOf(row.path("band").asText());
            LocalDate day = Instant.parse(row.path("window_start").asText()).atOffset(java.time.ZoneOffset.UTC).toLocalDate();
            Instant asOf = Instant.parse(row.path("as_of").asText());
            GroundTruth.CohortId id = new GroundTruth.CohortId(band, day);
            seen.add(id);
            GroundTruth.Row t = truth.evaluate(id, asOf);
            String where = band + " " + day + " as of " + asOf;
            if (t == null) {
                if (row.path("captured").asLong() != 0) {
                    diffs.add(where + ": the pipeline reports " + row.path("captured").asLong() + " findings, the truth none");
                }
                continue;
            }
            compare(diffs, where, "captured", t.captured(), row.path("captured").asLong());
            compare(diffs, where, "acknowledged", t.acknowledged(), row.path("acknowledged").asLong());
            compare(diffs, where, "inferred_acks", t.inferred(), row.path("inferred_acks").asLong());
            compare(diffs, where, "no_ack_numerator", t.noAck(), row.path("no_ack_numerator").asLong());
            compare(diffs, where, "no_ack_denominator", t.noAckDenominator(), row.path("no_ack_denominator").asLong());
            compare(diffs, where, "pending", t.pending(), row.path("pending").asLong());
            compare(diffs, where, "handoff_breach_count", t.breaches(), row.path("handoff_breach_count").asLong());
            compare(diffs, where, "handoff_within_sla", t.withinSla(), row.path("handoff_within_sla").asLong());
            compare(diffs, where, "remediation_breaches", t.remediationBreaches(), row.path("remediation_breaches").asLong());
            compare(diffs, where, "duplicates", t.duplicates(), row.path("duplicates").asLong());
            compare(diffs, where, "reopened", t.reopened(), row.path("reopened").asLong());
            Map<FailureMode, Long> reportedModes = modes(row.path("handoff_breaches"));
            Map<FailureMode, Long> reportedNoAcks = modes(row.path("no_acks"));
            for (FailureMode m : FailureMode.values()) {
                long tm = t.breachModes().getOrDefault(m, 0L);
                long rm = reportedModes.getOrDefault(m, 0L);
                compare(diffs, where, "handoff_breaches[" + m + "]", tm, rm);
                byMode.computeIfAbsent(m, k -> new long[2])[0] += tm;
                byMode.get(m)[1] += rm;
                long tn = t.noAckModes().getOrDefault(m, 0L);
                long rn = reportedNoAcks.getOrDefault(m, 0L);
                compare(diffs, where, "no_acks[" + m + "]", tn, rn);
                noAckByMode.computeIfAbsent(m, k -> new long[2])[0] += tn;
                noAckByMode.get(m)[1] += rn;
            }
            long[] s = sums.computeIfAbsent(band, k -> new long[8]);
            s[0] += t.captured();
            s[1] += t.acknowledged();
            s[2] += row.path("no_ack_numerator").asLong();
            s[3] += row.path("no_ack_denominator").asLong();
            s[4] += row.path("handoff_breach_count").asLong();
            s[5] += t.noAck();
            s[6] += t.noAckDenominator();
            s[7] += t.breaches();
            trueLatencies.computeIfAbsent(band, k -> new ArrayList<>()).add(t.latencies());
            JsonNode sketch = row.path("sketch");
            if (sketch.hasNonNull("bytes")) {
                DDSketch d = decode(sketch.path("bytes").asText());
                sketches.merge(band, d, (a, b) -> {
                    a.mergeWith(b);
                    return a;
                });
            }
        }
        for (GroundTruth.CohortId id : truth.cohorts().keySet()) {
            if (!seen.contains(id)) {
                diffs.add(id.band() + " " + id.day() + ": the truth has " + truth.cohorts().get(id).size()
                        + " findings, the pipeline published no row");
            }
        }
        List<Band> bands = new ArrayList<>();
        for (SeverityBand band : SeverityBand.values()) {
            long[] s = sums.getOrDefault(band, new long[8]);
            long[] all = trueLatencies.getOrDefault(band, List.of()).stream().flatMapToLong(Arrays::stream).sorted().toArray();
            DDSketch sketch = sketches.get(band);
            Long p50 = sketch == null || sketch.isEmpty() ? null : (long) sketch.getValueAtQuantile(0.5);
            Long p90 = sketch == null || sketch.isEmpty() ? null : (long) sketch.getValueAtQuantile(0.9);
            Band b = new Band(band, s[0], s[1], GroundTruth.lowerQuantile(all, 0.5), p50, GroundTruth.lowerQuantile(all, 0.9), p90,
                    s[6] == 0 ? null : s[5] / (double) s[6], s[3] == 0 ? null : s[2] / (double) s[3], s[7], s[4]);
            for (Double e : new Double[] {b.p50Error(), b.p90Error()}) {
                if (e == null || e > SKETCH_ERROR + 1e-9) {
                    diffs.add(band + ": quantile off by more than " + (int) (SKETCH_ERROR * 100) + " %: p50 " + b.p50True() + " vs "
                            + b.p50() + ", p90 " + b.p90True() + " vs " + b.p90());
                    break;
                }
            }
            bands.add(b);
        }
        GroundTruth.Gauges g = truth.gauges();
        long[] depth = {g.unroutedDepth(), gauges == null ? -1 : gauges.path("unrouted_depth").asLong(-1)};
        long[] open = {g.open(), gauges == null ? -1 : gauges.path("open_findings").asLong(-1)};
        if (gauges != null) {
            compare(diffs, "gauges", "unrouted_depth", depth[0], depth[1]);
            compare(diffs, "gauges", "open_findings", open[0], open[1]);
            compare(diffs, "gauges", "open_with_current_owner", g.openWithCurrentOwner(), gauges.path("open_with_current_owner").asLong(-1));
            if (gauges.has("queue_depth")) {
                compare(diffs, "query API /queues/unrouted", "depth", depth[0], gauges.path("queue_depth").asLong(-1));
            }
        }
        return new Result(bands, byMode, noAckByMode, depth, open, checked, diffs);
    }

    private static void compare(List<String> diffs, String where, String field, long truth, long reported) {
        if (truth != reported) {
            diffs.add(where + ": " + field + " " + reported + ", truth " + truth);
        }
    }

    private static Map<FailureMode, Long> modes(JsonNode counts) {
        Map<FailureMode, Long> out = new EnumMap<>(FailureMode.class);
        counts.forEach(c -> out.merge(FailureMode.valueOf(c.path("mode").asText()), c.path("count").asLong(), Long::sum));
        return out;
    }

    /** A published sketch: DDSketch's protobuf, read with the library itself as any BI tool would. */
    static DDSketch decode(String base64) {
        try {
            return DDSketchProtoBinding.fromProto(UnboundedSizeDenseStore::new,
                    com.datadoghq.sketch.ddsketch.proto.DDSketch.parseFrom(Base64.getDecoder().decode(base64)));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("a metrics.handoff row carries a sketch that is not DDSketch protobuf: " + e.getMessage(), e);
        }
    }

    /** The accuracy table, as the bench prints it. */
    public static void print(Result r, PrintStream out) {
        out.printf("  severity   captured   acked  p50 true / pipeline (err)        p90 true / pipeline (err)        no-ack true / pipeline   breaches true / pipeline%n");
        for (Band b : r.bands()) {
            out.printf(Locale.ROOT, "  %-9s %9d %7d  %-31s  %-31s  %-23s  %d / %d%n", b.band(), b.captured(), b.acknowledged(),
                    quantile(b.p50True(), b.p50(), b.p50Error()), quantile(b.p90True(), b.p90(), b.p90Error()),
                    rate(b.noAckRateTrue()) + " / " + rate(b.noAckRate()), b.breachesTrue(), b.breaches());
        }
        StringBuilder modes = new StringBuilder();
        r.breachesByMode().forEach((m, v) -> modes.append(modes.length() == 0 ? "" : ", ").append(m).append(' ').append(v[0]).append('/').append(v[1]));
        out.println("  handoff breaches by failure mode (truth/pipeline): " + modes);
        StringBuilder noAcks = new StringBuilder();
        r.noAcksByMode().forEach((m, v) -> noAcks.append(noAcks.length() == 0 ? "" : ", ").append(m).append(' ').append(v[0]).append('/').append(v[1]));
        out.println("  no-acks by failure mode (truth/pipeline): " + noAcks);
        out.printf("  unrouted depth (truth/pipeline): %d / %d; open findings %d / %d%n", r.unroutedDepth()[0], r.unroutedDepth()[1],
                r.open()[0], r.open()[1]);
        if (r.exact()) {
            out.printf("  accuracy: every count of %d day rows exact, every quantile within %d %%%n", r.rows(), (int) (SKETCH_ERROR * 100));
        } else {
            out.printf("  accuracy: %d differences, the first ones:%n", r.differences().size());
            r.differences().stream().limit(15).forEach(d -> out.println("    " + d));
        }
    }

    private static String quantile(Long truth, Long reported, Double err) {
        if (truth == null && reported == null) {
            return "-";
        }
        return Formatting.duration(truth) + " / " + Formatting.duration(reported) + (err == null ? "" : String.format(Locale.ROOT, " (%.2f%%)", err * 100));
    }

    private static String rate(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2f%%", r * 100);
    }
}
