package dev.handoff.streams.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefreshBudgetTest {

    @Test
    void aSlowRunHoldsOffTheNextUntilItsShareOfTheTimeHasPassed() {
        RefreshBudget budget = new RefreshBudget(0.2);
        assertTrue(budget.allows(0), "the first run always");
        budget.ran(10_000, 4_000); // 4 s of work at 20 %: the next no earlier than 20 s after it started
        assertFalse(budget.allows(20_000));
        assertFalse(budget.allows(29_999));
        assertTrue(budget.allows(30_000));
    }

    @Test
    void aRunWithALargerShareHoldsOffTheNextForLess() {
        RefreshBudget budget = new RefreshBudget(0.2);
        budget.ran(10_000, 100, 0.5); // 100 ms at 50 %: the next 200 ms after it started, not 500
        assertFalse(budget.allows(10_199));
        assertTrue(budget.allows(10_200));
        assertThrows(IllegalArgumentException.class, () -> budget.ran(0, 1, 0));
    }

    @Test
    void fastRunsAreNeverHeldOff() {
        RefreshBudget budget = new RefreshBudget(0.2);
        for (long t = 0; t < 100_000; t += 10_000) {
            assertTrue(budget.allows(t), "at " + t);
            budget.ran(t, 5);
        }
    }

    @Test
    void aShareOutsideZeroToOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RefreshBudget(0));
        assertThrows(IllegalArgumentException.class, () -> new RefreshBudget(1.5));
    }
}
