package dev.handoff.streams.enrich;

import static dev.handoff.streams.enrich.Fixtures.V31_CRITICAL_98;
import static dev.handoff.streams.enrich.Fixtures.cvss;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.CvssScore;
import dev.handoff.avro.SeverityBand;
import dev.handoff.streams.enrich.CvssScores.Assessment;
import dev.handoff.streams.enrich.CvssScores.Score;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CvssScoresTest {

    private static final String V4_93 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

    /** Expected scores are NVD's published base scores and the FIRST specification examples. */
    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        "3.1 | CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H | 10.0",
        "3.1 | CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H | 9.8",
        "3.1 | CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H | 7.8",
        "3.1 | CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N | 6.1",
        "3.1 | CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N | 3.1",
        "3.1 | CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N | 0.0",
        "3.0 | CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N | 5.9",
        "3.0 | CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N | 7.5",
        "2.0 | AV:N/AC:M/Au:N/C:C/I:C/A:C                   | 9.3",
        "2.0 | AV:N/AC:L/Au:N/C:P/I:P/A:P                   | 7.5",
        "2.0 | AV:N/AC:L/Au:N/C:P/I:N/A:N                   | 5.0",
        "2.0 | (AV:N/AC:L/Au:N/C:C/I:C/A:C)                 | 10.0",
        "2.0 | CVSS:2.0/AV:N/AC:M/Au:N/C:C/I:C/A:C          | 9.3",
    })
    void computesKnownScoresFromVectors(String version, String vector, double expected) {
        Score score = CvssScores.best(List.of(cvss(version, vector, null))).orElseThrow();

        assertEquals(new Score(version, expected, vector, true), score);
    }

    @Test
    void vectorScoreWinsOverADisagreeingReportedScoreWithAWarning() {
        Assessment assessment = CvssScores.assess(List.of(cvss("3.1", V31_CRITICAL_98, 7.5)));

        assertEquals(9.8, assessment.best().orElseThrow().baseScore());
        assertTrue(assessment.best().orElseThrow().computed());
        assertEquals(1, assessment.warnings().size(), assessment.warnings()::toString);
        assertTrue(assessment.warnings().get(0).contains("disagrees"), assessment.warnings()::toString);
    }

    @Test
    void roundingDifferenceOfOneTenthIsNotADisagreement() {
        Assessment assessment = CvssScores.assess(List.of(cvss("3.1", V31_CRITICAL_98, 9.7)));

        assertEquals(9.8, assessment.best().orElseThrow().baseScore());
        assertEquals(List.of(), assessment.warnings());
    }

    @Test
    void prefersTheNewestVersionCarried() {
        List<CvssScore> scores = new ArrayList<>(List.of(
                cvss("2.0", "AV:N/AC:M/Au:N/C:C/I:C/A:C", null),
                cvss("3.0", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", null),
                cvss("3.1", V31_CRITICAL_98, null),
                cvss("4.0", V4_93, 9.3)));

        assertEquals(new Score("4.0", 9.3, V4_93, true), CvssScores.best(scores).orElseThrow());
        scores.remove(3);
        assertEquals("3.1", CvssScores.best(scores).orElseThrow().version());
        scores.remove(2);
        assertEquals("3.0", CvssScores.best(scores).orElseThrow().version());
        scores.remove(1);
        assertEquals("2.0", CvssScores.best(scores).orElseThrow().version());
    }

    @Test
    void unusableNewestEntryFallsThroughToAnOlderVersion() {
        Assessment assessment = CvssScores.assess(List.of(
                cvss("3.1", "CVSS:3.1/AV:N/garbage", null),
                cvss("2.0", "AV:N/AC:M/Au:N/C:C/I:C/A:C", null)));

        assertEquals(new Score("2.0", 9.3, "AV:N/AC:M/Au:N/C:C/I:C/A:C", true), assessment.best().orElseThrow());
        assertEquals(2, assessment.warnings().size(), assessment.warnings()::toString);
    }

    @Test
    void computedScoreBeatsAReportedOneOfTheSameVersion() {
        Score score = CvssScores.best(List.of(cvss("3.1", null, 5.0), cvss("3.1", V31_CRITICAL_98, null))).orElseThrow();

        assertEquals(new Score("3.1", 9.8, V31_CRITICAL_98, true), score);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CVSS:3.1/AV:N/AC:L",
        "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:M/Au:N/C:C/I:C/A:C",
        "not a vector",
    })
    void unparsableVectorFallsBackToTheReportedScore(String vector) {
        Assessment assessment = CvssScores.assess(List.of(cvss("3.1", vector, 6.5)));

        assertEquals(new Score("3.1", 6.5, null, false), assessment.best().orElseThrow());
        assertFalse(assessment.warnings().isEmpty());
    }

    @Test
    void reportedScoreWithoutVectorIsUsedAsGiven() {
        assertEquals(new Score("3.0", 7.2, null, false),
                CvssScores.best(List.of(cvss("3.0", " ", 7.2))).orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.1, 10.1, 11.0, Double.NaN, Double.POSITIVE_INFINITY})
    void outOfRangeReportedScoreIsIgnored(double reported) {
        Assessment assessment = CvssScores.assess(List.of(cvss("3.1", null, reported)));

        assertEquals(Optional.empty(), assessment.best());
        assertTrue(assessment.warnings().get(0).contains("outside 0.0-10.0"), assessment.warnings()::toString);
    }

    @Test
    void outOfRangeReportedScoreDoesNotSpoilAValidVector() {
        Assessment assessment = CvssScores.assess(List.of(cvss("3.1", V31_CRITICAL_98, 42.0)));

        assertEquals(9.8, assessment.best().orElseThrow().baseScore());
        assertEquals(1, assessment.warnings().size(), assessment.warnings()::toString);
    }

    @Test
    void nothingUsableGivesNoScore() {
        assertEquals(Optional.empty(), CvssScores.best(List.of()));
        assertEquals(Optional.empty(), CvssScores.best(null));
        assertEquals(Optional.empty(), CvssScores.best(List.of(cvss("3.1", null, null))));
        Assessment unsupported = CvssScores.assess(List.of(cvss("5.0", null, 9.0)));
        assertEquals(Optional.empty(), unsupported.best());
        assertTrue(unsupported.warnings().get(0).contains("not supported"), unsupported.warnings()::toString);
    }

    @ParameterizedTest
    @CsvSource({"3.1, 3.1", "v3.1, 3.1", "CVSS:3.1, 3.1", "cvssv3, 3.0", "3, 3.0", "2, 2.0", " 4.0 , 4.0"})
    void acceptsCommonVersionSpellings(String given, String normalised) {
        assertEquals(Optional.of(normalised), CvssScores.normaliseVersion(given));
    }

    @Test
    void v4VectorsAreScoredFromTheVector() {
        Assessment assessment = CvssScores.assess(List.of(cvss("4.0", V4_93, 9.3)));

        assertEquals(new Score("4.0", 9.3, V4_93, true), assessment.best().orElseThrow());
        assertEquals(List.of(), assessment.warnings());
    }

    /** Scores published by FIRST's CVSS 4.0 calculator. */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10.0",
        "'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3",
        "'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N', 6.9",
    })
    void v4KnownVectorsScoreAsFirstPublishes(String vector, double expected) {
        assertEquals(expected, CvssScores.best(List.of(cvss("4.0", vector, null))).orElseThrow().baseScore());
    }

    @Test
    void v4GarbageVectorIsReportedAndTheScoreKeptWithoutIt() {
        Assessment assessment = CvssScores.assess(List.of(cvss("4.0", "CVSS:4.0/AV:N/AC:L/VC:H", 8.0)));

        assertEquals(new Score("4.0", 8.0, null, false), assessment.best().orElseThrow());
        assertTrue(assessment.warnings().get(0).contains("missing base metrics AT, PR, UI, VI, VA, SC, SI, SA"),
                assessment.warnings()::toString);
    }

    @Test
    void v4VectorWithoutReportedScoreIsStillPreferredOverV3() {
        Assessment assessment = CvssScores.assess(List.of(cvss("4.0", V4_93, null), cvss("3.1", V31_CRITICAL_98, null)));

        assertEquals(new Score("4.0", 9.3, V4_93, true), assessment.best().orElseThrow());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "10.0, CRITICAL", "9.0, CRITICAL", "8.9, HIGH", "7.0, HIGH", "6.9, MEDIUM", "4.0, MEDIUM",
        "3.9, LOW", "0.1, LOW", "0.0, INFO", "6.9999999, HIGH",
    })
    void bandBoundariesFollowTheCvssV3Scale(double score, SeverityBand band) {
        assertEquals(band, CvssScores.bandOf(score));
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.1, 10.1, Double.NaN, Double.NEGATIVE_INFINITY})
    void bandOfRejectsScoresOutsideTheScale(double score) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CvssScores.bandOf(score));
        assertTrue(e.getMessage().contains("0.0-10.0"), e::getMessage);
    }
}
