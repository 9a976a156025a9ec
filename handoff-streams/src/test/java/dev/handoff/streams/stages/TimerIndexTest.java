package dev.handoff.streams.stages;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TimerIndexTest {

    @Test
    void rangesAreInclusiveOrderedAndBoundedAndNeverHoldAFindingsList() {
        TimerIndex index = new TimerIndex();
        index.put("0000000000300|c", "");
        index.put("0000000000100|a", "");
        index.put("0000000000200|b", "");
        index.put("F|0000000000150", "0000000000100|a");
        assertEquals(List.of("0000000000100|a", "0000000000200|b"), index.keys("0000000000100|a", "0000000000200|b", 10));
        assertEquals(List.of("0000000000100|a"), index.keys("0000000000000|", "0000000000300|~", 1), "at most max");
        assertEquals(List.of("0000000000100|a", "0000000000200|b", "0000000000300|c"), index.keys("0", "G", 10),
                "a finding's list is looked up by key, never met in a scan of the timers");
        assertEquals("0000000000100|a", index.get("F|0000000000150"));

        assertEquals("0000000000200|b", index.first("0000000000101", "0000000000300|~"));
        assertNull(index.first("0000000000301", "0000000000400"), "nothing in range");
        index.delete("0000000000200|b");
        index.delete("F|0000000000150");
        assertNull(index.get("F|0000000000150"));
        assertEquals("0000000000300|c", index.first("0000000000101", "0000000000300|~"));
    }
}
