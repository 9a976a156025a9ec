package dev.handoff.streams.stages;

import dev.handoff.avro.FindingActivity;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One finding's activity history as a single value of the {@link StoreNames#ACTIVITY_LOG activity-log store}
 * (decision 0012): the activities' records exactly as they were written to {@code findings.activity} (Schema Registry
 * wire format), framed, in the order they were recorded. One store entry per finding instead of one per activity: a
 * save appends without decoding anything, and the store costs one changelog record per save (fewer where the record
 * cache folds saves of one finding within a commit) instead of one per activity.
 *
 * <p>Bounded: once a history passes {@link #MAX_BYTES}, its oldest entries are dropped and counted in
 * {@link #omitted()}. The whole audit trail stays on {@code findings.activity}, which {@code ./handoff export activity}
 * reads; the store is what the query API shows.
 *
 * <p>Format: one format byte ({@value #FORMAT}), the omitted count (int), then per entry its length (int) and bytes.
 */
public final class ActivityHistory {

    static final byte FORMAT = 1;
    private static final int HEADER = 1 + Integer.BYTES;
    /** Beyond this many bytes the oldest entries are dropped: about 200 activities of a typical size. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final ActivityHistory EMPTY = new ActivityHistory(ByteBuffer.allocate(HEADER).put(FORMAT).putInt(0).array(), null);

    /** Event time, then event id: the order the query API shows a timeline in. */
    public static final Comparator<FindingActivity> TIMELINE_ORDER = Comparator
            .comparing(FindingActivity::getEventTime).thenComparing(FindingActivity::getEventId);

    private final byte[] bytes;
    private final Deserializer<FindingActivity> decoder;

    private ActivityHistory(byte[] bytes, Deserializer<FindingActivity> decoder) {
        this.bytes = bytes;
        this.decoder = decoder;
    }

    public static ActivityHistory empty() {
        return EMPTY;
    }

    /**
     * {@code records} (already encoded) after this history's entries, the oldest dropped beyond {@code maxBytes}. The
     * stored entries are copied as they are, never decoded or split, unless some must be dropped.
     */
    public ActivityHistory append(List<byte[]> records, int maxBytes) {
        if (records.isEmpty()) {
            return this;
        }
        int added = 0;
        for (byte[] r : records) {
            added += Integer.BYTES + r.length;
        }
        // Drop whole entries from the front (never what is being appended) until the result fits.
        int cut = HEADER;
        int dropped = 0;
        while (bytes.length - (cut - HEADER) + added > maxBytes && cut < bytes.length) {
            cut += Integer.BYTES + ByteBuffer.wrap(bytes, cut, Integer.BYTES).getInt();
            dropped++;
        }
        if (cut > bytes.length) {
            throw new SerializationException("activity history entry runs past the value's end: the stored value is corrupt");
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER + (bytes.length - cut) + added).put(FORMAT).putInt(omitted() + dropped);
        out.put(bytes, cut, bytes.length - cut);
        for (byte[] r : records) {
            out.putInt(r.length).put(r);
        }
        return new ActivityHistory(out.array(), decoder);
    }

    /** How many of the oldest entries were dropped to keep the history within its bound. */
    public int omitted() {
        return ByteBuffer.wrap(bytes, 1, Integer.BYTES).getInt();
    }

    /** The entries' records as written to {@code findings.activity}, in the order they were recorded. */
    public List<byte[]> records() {
        List<byte[]> records = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(bytes, HEADER, bytes.length - HEADER);
        while (in.hasRemaining()) {
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new SerializationException("activity history entry of " + length + " bytes where " + in.remaining()
                        + " remain: the stored value is corrupt");
            }
            byte[] record = new byte[length];
            in.get(record);
            records.add(record);
        }
        return records;
    }

    /** The entries decoded, in timeline order; only a history read through {@link ActivityHistorySerde} can decode. */
    public List<FindingActivity> timeline() {
        if (decoder == null) {
            throw new IllegalStateException("this activity history was not read through its serde, so it has no decoder");
        }
        List<FindingActivity> timeline = new ArrayList<>();
        for (byte[] record : records()) {
            timeline.add(decoder.deserialize(StoreNames.ACTIVITY_LOG, record));
        }
        timeline.sort(TIMELINE_ORDER);
        return timeline;
    }

    byte[] bytes() {
        return bytes;
    }

    /** Equal when the stored bytes are: the same entries, in the same order, with the same omitted count. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ActivityHistory other && java.util.Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "ActivityHistory[" + records().size() + " entries, " + omitted() + " omitted, " + bytes.length + " bytes]";
    }

    /** The store's value serde: the framed bytes as they are; entries decoded with {@code activities}' deserializer. */
    public static final class ActivityHistorySerde implements Serde<ActivityHistory> {

        private final Deserializer<FindingActivity> activities;

        public ActivityHistorySerde(Serde<FindingActivity> activities) {
            this.activities = Objects.requireNonNull(activities, "activities").deserializer();
        }

        @Override
        public Serializer<ActivityHistory> serializer() {
            return (topic, history) -> history == null ? null : history.bytes;
        }

        @Override
        public Deserializer<ActivityHistory> deserializer() {
            return (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                if (bytes.length < HEADER || bytes[0] != FORMAT) {
                    throw new SerializationException("not an activity history of format " + FORMAT + " (" + bytes.length
                            + " bytes, first " + (bytes.length == 0 ? "none" : Byte.toString(bytes[0])) + "): a store written by an"
                            + " earlier build holds one entry per activity; reset the streams application (README, upgrading)");
                }
                return new ActivityHistory(bytes, activities);
            };
        }
    }
}
