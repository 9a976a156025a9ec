package dev.handoff.streams.query;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import dev.handoff.streams.metrics.GaugeSnapshot;
import dev.handoff.streams.metrics.LatencySketches;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsJsonTest {

    @Test
    void slaStatusFollowsTheShareOfKnownOutcomesThatMetTheSla() {
        assertEquals("NONE", MetricsJson.slaStatus(0, 0));
        assertEquals("GREEN", MetricsJson.slaStatus(9, 1), "90 % met: the p90 is within target");
        assertEquals("AMBER", MetricsJson.slaStatus(89, 11));
        assertEquals("AMBER", MetricsJson.slaStatus(1, 1), "half met: the median is within target");
        assertEquals("RED", MetricsJson.slaStatus(49, 51));
    }

    @Test
    void spansReadAsPeopleSayThem() {
        assertEquals("4 business hours", MetricsJson.span(new SlaSpan(4, SpanUnit.HOURS, SpanClock.BUSINESS)));
        assertEquals("1 business day", MetricsJson.span(new SlaSpan(1, SpanUnit.DAYS, SpanClock.BUSINESS)));
        assertEquals("72 hours", MetricsJson.span(new SlaSpan(72, SpanUnit.HOURS, SpanClock.CALENDAR)));
    }

    @Test
    void theDistributionPutsEveryBodyLatencyInItsBucket() {
        DDSketch sketch = LatencySketches.create();
        long[] values = {0, 60_000, Duration.ofMinutes(30).toMillis(), Duration.ofHours(2).toMillis(), Duration.ofHours(5).toMillis(),
                Duration.ofHours(12).toMillis(), Duration.ofDays(2).toMillis(), Duration.ofDays(5).toMillis(), Duration.ofDays(10).toMillis(),
                Duration.ofDays(40).toMillis()};
        for (long v : values) {
            LatencySketches.add(sketch, v);
        }
        JsonNode buckets = MetricsJson.distribution(sketch);
        long[] expected = {2, 1, 1, 1, 1, 1, 1, 1, 1};
        assertEquals(expected.length, buckets.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], buckets.get(i).path("count").asLong(), buckets.get(i).toString());
        }
        assertTrue(buckets.get(8).path("upper_ms").isNull(), "the last bucket is open");
    }

    @Test
    void downsamplingKeepsEachGroupsDeepestPointAndBoundsTheCount() {
        List<GaugeSnapshot> history = new ArrayList<>();
        Instant t = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < 10_000; i++) {
            history.add(new GaugeSnapshot(-1, t.plusSeconds(60L * i), i == 4321 ? 99 : i % 5, null, 0, 0));
        }
        List<GaugeSnapshot> thin = MetricsJson.downsample(history, 720);
        assertEquals(720, thin.size());
        assertTrue(thin.stream().anyMatch(s -> s.unroutedDepth() == 99), "the peak survives");
        for (int i = 1; i < thin.size(); i++) {
            assertTrue(thin.get(i).at().isAfter(thin.get(i - 1).at()), "still in time order");
        }
        assertEquals(history.subList(0, 3), MetricsJson.downsample(history.subList(0, 3), 720), "short histories pass through");
    }
}
