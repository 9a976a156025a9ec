package dev.handoff.streams;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SortableMillisTest {

    @Property
    void isWhatTheFormatterGives(@ForAll @LongRange(min = -5, max = 10_000_000_000_005L) long millis) {
        assertEquals(String.format("%013d", millis), SortableMillis.of(millis));
    }

    @Property
    void sortsAsTheMillisDo(@ForAll @LongRange(min = 0, max = 9_999_999_999_999L) long a,
                            @ForAll @LongRange(min = 0, max = 9_999_999_999_999L) long b) {
        assertEquals(Long.signum(Long.compare(a, b)), Integer.signum(SortableMillis.of(a).compareTo(SortableMillis.of(b))));
    }

    @Test
    void edges() {
        assertEquals("0000000000000", SortableMillis.of(0));
        assertEquals("9999999999999", SortableMillis.of(9_999_999_999_999L));
        assertEquals("10000000000000", SortableMillis.of(10_000_000_000_000L));
        assertTrue(SortableMillis.of(1_793_610_000_000L).startsWith("1793610000000"));
    }
}
