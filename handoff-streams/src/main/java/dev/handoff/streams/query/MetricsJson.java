package dev.handoff.streams.query;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.FailureModeCount;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.SegmentStats;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.StageLatency;
import dev.handoff.streams.metrics.GaugeSnapshot;
import dev.handoff.streams.metrics.HandoffMetrics;
import dev.handoff.streams.metrics.LatencySketches;
import dev.handoff.streams.metrics.MetricRows;
import dev.handoff.streams.sla.SlaPolicies;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The JSON answers of the metrics endpoints (docs/metrics-api.md), built from merged rows. */
final class MetricsJson {

    /** The dashboard's latency buckets: upper bounds in ms, the last one open. */
    static final long[] BUCKET_UPPER_MS = {
            Duration.ofMinutes(15).toMillis(), Duration.ofHours(1).toMillis(), Duration.ofHours(4).toMillis(),
            Duration.ofHours(8).toMillis(), Duration.ofHours(24).toMillis(), Duration.ofDays(3).toMillis(),
            Duration.ofDays(7).toMillis(), Duration.ofDays(30).toMillis(), Long.MAX_VALUE};
    static final String[] BUCKET_LABELS = {"< 15m", "15m-1h", "1-4h", "4-8h", "8-24h", "1-3d", "3-7d", "7-30d", ">= 30d"};

    /** Share of known handoff outcomes that met the SLA for GREEN (the p90 within target) and AMBER (the median). */
    static final double GREEN_SHARE = 0.9;
    static final double AMBER_SHARE = 0.5;

    private MetricsJson() {
    }

    static ObjectNode handoff(MetricsRequest req, List<MetricRows.Row> rows, Optional<GaugeAnswer> gauges, SlaPolicy policy,
                              String zone, Instant asOf) {
        ObjectNode body = header(req, zone, asOf);
        ArrayNode out = body.putArray("rows");
        for (MetricRows.Row row : rows) {
            out.add(handoffRow(row.handoff(), policy));
        }
        body.set("gauges", gauges(gauges.map(GaugeAnswer::latest).orElse(null)));
        return body;
    }

    static ObjectNode handoffRow(HandoffWindow h, SlaPolicy policy) {
        ObjectNode r = Json.object();
        r.put("band", h.getBand().name());
        r.put("dimension", h.getDimension().name());
        r.put("key", h.getDimensionKey());
        r.put("captured", h.getCaptured());
        r.put("acknowledged", h.getAcknowledged());
        r.put("inferred_acks", h.getInferredAcks());
        r.put("median_ms", h.getMedianMs());
        r.put("p90_ms", h.getP90Ms());
        r.put("p99_ms", h.getP99Ms());
        r.put("max_ms", h.getMaxMs());
        ObjectNode noAck = r.putObject("no_ack");
        noAck.put("numerator", h.getNoAckNumerator());
        noAck.put("denominator", h.getNoAckDenominator());
        noAck.put("rate", h.getNoAckRate());
        noAck.put("pending", h.getPending());
        noAck.set("by_mode", modes(h.getNoAcks()));
        ObjectNode breaches = r.putObject("handoff_breaches");
        breaches.put("count", h.getHandoffBreachCount());
        breaches.set("by_mode", modes(h.getHandoffBreaches()));
        r.put("handoff_within_sla", h.getHandoffWithinSla());
        ObjectNode sla = r.putObject("sla");
        sla.put("handoff", SlaPolicies.target(policy, h.getBand()).map(t -> span(t.getHandoff())).orElse(null));
        sla.put("status", slaStatus(h.getHandoffWithinSla(), h.getHandoffBreachCount()));
        r.put("remediation_breaches", h.getRemediationBreaches());
        r.put("duplicates", h.getDuplicates());
        r.put("dedup_rate", HandoffMetrics.dedupRate(h.getDuplicates(), h.getCaptured()).orElse(null));
        r.put("reopened", h.getReopened());
        r.put("reopen_share", HandoffMetrics.reopenShare(h.getReopened(), h.getCaptured()).orElse(null));
        r.put("ack_ambiguity_rate", h.getAckAmbiguityRate());
        ArrayNode stages = r.putArray("stages");
        for (StageLatency s : h.getStages()) {
            ObjectNode st = stats(s.getStats());
            st.put("stage", s.getStage().name());
            stages.add(st);
        }
        r.set("distribution", distribution(h.getSketch() == null ? LatencySketches.create() : LatencySketches.fromAvro(h.getSketch())));
        return r;
    }

    static ObjectNode cycle(MetricsRequest req, List<MetricRows.Row> rows, String zone, Instant asOf) {
        ObjectNode body = header(req, zone, asOf);
        ArrayNode out = body.putArray("rows");
        for (MetricRows.Row row : rows) {
            CycleWindow c = row.cycle();
            ObjectNode r = out.addObject();
            r.put("band", c.getBand().name());
            r.put("dimension", c.getDimension().name());
            r.put("key", c.getDimensionKey());
            r.set("handoff", stats(c.getHandoff()));
            r.set("triage", stats(c.getTriage()));
            r.set("fix", stats(c.getFix()));
            r.set("verification", stats(c.getVerification()));
        }
        return body;
    }

    static ObjectNode timeseries(MetricsRequest req, List<MetricRows.Row> rows, Optional<GaugeAnswer> gauges, String zone, Instant asOf) {
        ObjectNode body = header(req, zone, asOf);
        body.put("granularity", req.granularity().name());
        ArrayNode series = body.putArray("series");
        ObjectNode current = null;
        String currentId = null;
        for (MetricRows.Row row : rows) { // sorted by band, key, window
            HandoffWindow h = row.handoff();
            String id = h.getBand() + "|" + h.getDimensionKey();
            if (!id.equals(currentId)) {
                current = series.addObject();
                current.put("band", h.getBand().name());
                current.put("key", h.getDimensionKey());
                current.putArray("points");
                currentId = id;
            }
            ObjectNode p = ((ArrayNode) current.get("points")).addObject();
            Json.put(p, "window_start", h.getWindowStart());
            p.put("captured", h.getCaptured());
            p.put("acknowledged", h.getAcknowledged());
            p.put("median_ms", h.getMedianMs());
            p.put("p90_ms", h.getP90Ms());
            p.put("no_ack_rate", h.getNoAckRate());
            p.put("handoff_breaches", h.getHandoffBreachCount());
            p.put("pending", h.getPending());
        }
        ArrayNode depth = body.putArray("unrouted_depth");
        gauges.ifPresent(g -> downsample(g.history(), MAX_DEPTH_POINTS).forEach(s -> {
            ObjectNode p = depth.addObject();
            Json.put(p, "at", s.at());
            p.put("depth", s.unroutedDepth());
            Json.put(p, "oldest_unrouted_at", s.oldestUnroutedAt());
        }));
        return body;
    }

    /** At most this many depth points per answer: a chart cannot show more, and 90 days of minutes is 130 000. */
    static final int MAX_DEPTH_POINTS = 720;

    /**
     * Thins a time-ordered history to at most {@code max} points: consecutive points are grouped evenly and
     * each group keeps its deepest point, so a peak in the queue is never thinned away.
     */
    static List<GaugeSnapshot> downsample(List<GaugeSnapshot> history, int max) {
        if (history.size() <= max) {
            return history;
        }
        List<GaugeSnapshot> out = new java.util.ArrayList<>(max);
        double per = (double) history.size() / max;
        for (int g = 0; g < max; g++) {
            int from = (int) Math.floor(g * per);
            int to = Math.min(history.size(), (int) Math.floor((g + 1) * per));
            GaugeSnapshot deepest = null;
            for (int i = from; i < to; i++) {
                GaugeSnapshot s = history.get(i);
                if (deepest == null || s.unroutedDepth() > deepest.unroutedDepth()) {
                    deepest = s;
                }
            }
            if (deepest != null) {
                out.add(deepest);
            }
        }
        return out;
    }

    static ObjectNode gauges(GaugeSnapshot g) {
        ObjectNode json = Json.object();
        if (g == null) {
            json.putNull("unrouted_depth");
            json.putNull("oldest_unrouted_at");
            json.putNull("open");
            json.putNull("open_with_active_owner");
            json.putNull("ownership_currency");
            return json;
        }
        json.put("unrouted_depth", g.unroutedDepth());
        Json.put(json, "oldest_unrouted_at", g.oldestUnroutedAt());
        json.put("open", g.open());
        json.put("open_with_active_owner", g.openWithCurrentOwner());
        json.put("ownership_currency", g.ownershipCurrency());
        Json.put(json, "at", g.at());
        return json;
    }

    /** GREEN, AMBER, RED or NONE from the share of known handoff outcomes that met the SLA. */
    static String slaStatus(long within, long breached) {
        long known = within + breached;
        if (known == 0) {
            return "NONE";
        }
        double share = (double) within / known;
        return share >= GREEN_SHARE ? "GREEN" : share >= AMBER_SHARE ? "AMBER" : "RED";
    }

    static String span(SlaSpan span) {
        String unit = span.getUnit().name().toLowerCase(Locale.ROOT);
        if (span.getAmount() == 1) {
            unit = unit.substring(0, unit.length() - 1);
        }
        return span.getAmount() + " " + (span.getClock() == SpanClock.BUSINESS ? "business " : "") + unit;
    }

    /** The sketch's body latencies in the dashboard's buckets; bin values are exact to the sketch's 1 %. */
    static ArrayNode distribution(DDSketch sketch) {
        long[] counts = new long[BUCKET_UPPER_MS.length];
        counts[0] += Math.round(sketch.getCount() - sketch.getPositiveValueStore().getTotalCount()); // the zero bin
        Iterator<Bin> bins = sketch.getPositiveValueStore().getAscendingIterator();
        while (bins.hasNext()) {
            Bin bin = bins.next();
            double value = sketch.getIndexMapping().value(bin.getIndex());
            int b = 0;
            while (value >= BUCKET_UPPER_MS[b]) {
                b++;
            }
            counts[b] += Math.round(bin.getCount());
        }
        ArrayNode out = Json.NODES.arrayNode();
        long lower = 0;
        for (int i = 0; i < counts.length; i++) {
            ObjectNode bucket = out.addObject();
            bucket.put("lower_ms", lower);
            if (BUCKET_UPPER_MS[i] == Long.MAX_VALUE) {
                bucket.putNull("upper_ms");
            } else {
                bucket.put("upper_ms", BUCKET_UPPER_MS[i]);
            }
            bucket.put("label", BUCKET_LABELS[i]);
            bucket.put("count", counts[i]);
            lower = BUCKET_UPPER_MS[i];
        }
        return out;
    }

    private static ObjectNode header(MetricsRequest req, String zone, Instant asOf) {
        ObjectNode body = Json.object();
        body.put("from", req.from().toString());
        body.put("to", req.to().toString());
        body.put("zone", zone);
        Json.put(body, "as_of", asOf);
        body.put("today", asOf.atZone(java.time.ZoneId.of(zone)).toLocalDate().toString());
        body.put("dimension", req.dimension().name());
        if (req.key() != null) {
            body.put("key", req.key());
        }
        ArrayNode bands = body.putArray("severity");
        for (SeverityBand b : req.bands()) {
            bands.add(b.name());
        }
        return body;
    }

    private static ObjectNode stats(SegmentStats s) {
        ObjectNode json = Json.object();
        json.put("count", s.getCount());
        json.put("median_ms", s.getMedianMs());
        json.put("p90_ms", s.getP90Ms());
        return json;
    }

    private static ArrayNode modes(List<FailureModeCount> counts) {
        ArrayNode out = Json.NODES.arrayNode();
        counts.forEach(c -> out.addObject().put("mode", c.getMode().name()).put("count", c.getCount()));
        return out;
    }
}
