package dev.handoff.streams.enrich;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.SeverityBand;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeverityBandsTest {

    @Test
    void ranksRunFromInfoToCritical() {
        assertEquals(0, SeverityBands.rank(SeverityBand.INFO));
        assertEquals(1, SeverityBands.rank(SeverityBand.LOW));
        assertEquals(2, SeverityBands.rank(SeverityBand.MEDIUM));
        assertEquals(3, SeverityBands.rank(SeverityBand.HIGH));
        assertEquals(4, SeverityBands.rank(SeverityBand.CRITICAL));
    }

    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource({
        "INFO, 0, INFO", "INFO, 1, LOW", "LOW, 2, HIGH", "MEDIUM, 1, HIGH", "HIGH, 1, CRITICAL",
        "HIGH, 5, CRITICAL", "CRITICAL, 1, CRITICAL",
    })
    void raiseIsCappedAtCritical(SeverityBand band, int steps, SeverityBand expected) {
        assertEquals(expected, SeverityBands.raise(band, steps));
    }

    @Test
    void raiseRefusesToLower() {
        assertThrows(IllegalArgumentException.class, () -> SeverityBands.raise(SeverityBand.HIGH, -1));
    }

    @Test
    void lowerIsStrict() {
        assertTrue(SeverityBands.lower(SeverityBand.INFO, SeverityBand.LOW));
        assertTrue(SeverityBands.lower(SeverityBand.HIGH, SeverityBand.CRITICAL));
        assertFalse(SeverityBands.lower(SeverityBand.HIGH, SeverityBand.HIGH));
        assertFalse(SeverityBands.lower(SeverityBand.CRITICAL, SeverityBand.MEDIUM));
    }

    @Test
    void maxPicksTheMoreSevere() {
        assertEquals(SeverityBand.HIGH, SeverityBands.max(SeverityBand.LOW, SeverityBand.HIGH));
        assertEquals(SeverityBand.HIGH, SeverityBands.max(SeverityBand.HIGH, SeverityBand.INFO));
    }

    @Test
    void nullBandIsAClearError() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> SeverityBands.rank(null));
        assertEquals("band", e.getMessage());
    }
}
