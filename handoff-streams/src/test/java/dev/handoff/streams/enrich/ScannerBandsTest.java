package dev.handoff.streams.enrich;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.handoff.avro.SeverityBand;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScannerBandsTest {

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({
        "critical, CRITICAL", "crit, CRITICAL", "very high, CRITICAL", "urgent, CRITICAL",
        "high, HIGH", "error, HIGH", "serious, HIGH", "important, HIGH",
        "medium, MEDIUM", "moderate, MEDIUM", "warning, MEDIUM", "warn, MEDIUM", "med, MEDIUM",
        "low, LOW", "note, LOW", "minor, LOW",
        "info, INFO", "informational, INFO", "none, INFO", "negligible, INFO", "unknown, INFO", "'', INFO",
    })
    void everyDocumentedLabelMapsToItsBand(String label, SeverityBand band) {
        assertEquals(Optional.of(band), ScannerBands.tryFromLabel(label));
        assertEquals(band, ScannerBands.fromLabel(label));
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({
        "CRITICAL, CRITICAL", "'  High  ', HIGH", "Very High, CRITICAL", "VERY_HIGH, CRITICAL", "very-high, CRITICAL",
        "'very   high', CRITICAL", "Moderate, MEDIUM", "WARN, MEDIUM", "Informational, INFO", "NOTE, LOW",
    })
    void labelsMatchWhateverTheCaseAndSeparators(String label, SeverityBand band) {
        assertEquals(band, ScannerBands.fromLabel(label));
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({
        "10.0, CRITICAL", "9.8, CRITICAL", "9.0, CRITICAL", "8.9, HIGH", "7.5, HIGH", "7.0, HIGH", "6.9, MEDIUM",
        "4.0, MEDIUM", "3.9, LOW", "0.1, LOW", "0.0, INFO",
    })
    void decimalScoresUseTheCvssScale(String label, SeverityBand band) {
        assertEquals(Optional.of(band), ScannerBands.tryFromLabel(label));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bogus", "P1", "blocker", "3", "0", "10", "11.5", "-1.0", "7.5.1"})
    void unknownLabelsAreInfoAndSayso(String label) {
        assertEquals(Optional.empty(), ScannerBands.tryFromLabel(label));
        assertEquals(SeverityBand.INFO, ScannerBands.fromLabel(label));
    }

    @Test
    void nullIsTheEmptyLabel() {
        assertEquals(Optional.of(SeverityBand.INFO), ScannerBands.tryFromLabel(null));
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource({"0, INFO", "1, LOW", "2, MEDIUM", "3, HIGH", "4, CRITICAL", "' 3 ', HIGH", "High, HIGH", "None, INFO"})
    void nessusLevelsAreRiskFactors(String level, SeverityBand band) {
        assertEquals(Optional.of(band), ScannerBands.tryFromNessusLevel(level));
        assertEquals(band, ScannerBands.fromNessusLevel(level));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "-1", "high-ish"})
    void unknownNessusLevelsAreInfoAndSayso(String level) {
        assertEquals(Optional.empty(), ScannerBands.tryFromNessusLevel(level));
        assertEquals(SeverityBand.INFO, ScannerBands.fromNessusLevel(level));
    }
}
