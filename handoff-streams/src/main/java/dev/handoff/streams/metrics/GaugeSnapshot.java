package dev.handoff.streams.metrics;

import java.time.Instant;

/**
 * The now-gauges of one finding partition, or their sum over every partition: unrouted queue depth with
 * the oldest entry time, and open findings with how many of them are routed to a current owner.
 */
public record GaugeSnapshot(int partition, Instant at, long unroutedDepth, Instant oldestUnroutedAt, long open,
                            long openWithCurrentOwner) {

    /** The partition value of a sum over partitions. */
    public static final int ALL_PARTITIONS = -1;

    public GaugeSnapshot withCounts(long openFindings, long current) {
        return new GaugeSnapshot(partition, at, unroutedDepth, oldestUnroutedAt, openFindings, current);
    }

    /** Open findings routed to a current owner over open findings; null with none open. */
    public Double ownershipCurrency() {
        return HandoffMetrics.ownershipCurrency(openWithCurrentOwner, open).orElse(null);
    }

    public GaugeSnapshot plus(GaugeSnapshot other) {
        Instant oldest = oldestUnroutedAt == null ? other.oldestUnroutedAt
                : other.oldestUnroutedAt == null || oldestUnroutedAt.isBefore(other.oldestUnroutedAt) ? oldestUnroutedAt : other.oldestUnroutedAt;
        return new GaugeSnapshot(ALL_PARTITIONS, at.isAfter(other.at) ? at : other.at, unroutedDepth + other.unroutedDepth, oldest,
                open + other.open, openWithCurrentOwner + other.openWithCurrentOwner);
    }

    public String encode() {
        return partition + "," + at.toEpochMilli() + "," + unroutedDepth + "," + (oldestUnroutedAt == null ? "" : oldestUnroutedAt.toEpochMilli())
                + "," + open + "," + openWithCurrentOwner;
    }

    public static GaugeSnapshot decode(String text) {
        String[] p = text.split(",", -1);
        if (p.length != 6) {
            throw new IllegalArgumentException("gauge snapshot needs 6 comma-separated fields, got '" + text + "'");
        }
        return new GaugeSnapshot(Integer.parseInt(p[0]), Instant.ofEpochMilli(Long.parseLong(p[1])), Long.parseLong(p[2]),
                p[3].isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(p[3])), Long.parseLong(p[4]), Long.parseLong(p[5]));
    }
}
