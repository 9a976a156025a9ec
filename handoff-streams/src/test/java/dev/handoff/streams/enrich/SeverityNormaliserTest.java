package dev.handoff.streams.enrich;

import static dev.handoff.streams.enrich.Fixtures.V31_CRITICAL_98;
import static dev.handoff.streams.enrich.Fixtures.asset;
import static dev.handoff.streams.enrich.Fixtures.cve;
import static dev.handoff.streams.enrich.Fixtures.cvss;
import static dev.handoff.streams.enrich.Fixtures.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.streams.enrich.SeverityNormaliser.Normalised;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeverityNormaliserTest {

    private static final String LOG4SHELL = "CVE-2021-44228";

    private final SeverityNormaliser normaliser = new SeverityNormaliser();

    @Test
    void scannerLowWithCvss98BecomesCriticalAndIsAMismatch() {
        FindingReported f = finding(SeverityBand.LOW, List.of(cvss("3.1", V31_CRITICAL_98, 9.8)), cve(LOG4SHELL));

        Normalised n = normaliser.normalise(f, Optional.of(asset(AssetCriticality.MEDIUM, AssetExposure.INTERNAL)), false);

        assertEquals(new Normalised(SeverityBand.LOW, SeverityBand.CRITICAL, 9.8, List.of("cvss"), List.of(), true), n);
    }

    @Test
    void scannerHighOnCriticalInternetFacingAssetBecomesCritical() {
        FindingReported f = finding(SeverityBand.HIGH, List.of());

        Normalised n = normaliser.normalise(f, Optional.of(asset(AssetCriticality.CRITICAL, AssetExposure.INTERNET_FACING)),
                false);

        assertEquals(SeverityBand.CRITICAL, n.band());
        assertEquals(List.of(SeverityNormaliser.REASON_ASSET_CRITICALITY), n.reasons());
        assertEquals(List.of("cve", "cvss"), n.missing());
        assertNull(n.cvssScore());
        assertTrue(n.mismatch());
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3} {4}")
    @CsvSource({
        "MEDIUM, HIGH,     INTERNET_FACING, HIGH,     asset-exposure",
        "HIGH,   HIGH,     INTERNET_FACING, CRITICAL, asset-exposure",
        "LOW,    CRITICAL, ISOLATED,        MEDIUM,   asset-criticality",
        "MEDIUM, HIGH,     INTERNAL,        MEDIUM,   ''",
        "MEDIUM, MEDIUM,   INTERNET_FACING, MEDIUM,   ''",
        "LOW,    LOW,      INTERNET_FACING, LOW,      ''",
        "CRITICAL, CRITICAL, INTERNET_FACING, CRITICAL, ''",
    })
    void assetRaisesOneBandForCriticalityOrExposure(SeverityBand scanner, AssetCriticality criticality,
                                                    AssetExposure exposure, SeverityBand expected, String reason) {
        Normalised n = normaliser.normalise(finding(scanner, List.of()), Optional.of(asset(criticality, exposure)), false);

        assertEquals(expected, n.band());
        assertEquals(reason.isEmpty() ? List.of() : List.of(reason), n.reasons());
    }

    @ParameterizedTest(name = "{0} + KEV -> {1}")
    @CsvSource({"INFO, HIGH", "LOW, HIGH", "MEDIUM, HIGH", "HIGH, CRITICAL"})
    void kevRaisesOneBandWithAFloorOfHigh(SeverityBand scanner, SeverityBand expected) {
        Normalised n = normaliser.normalise(finding(scanner, List.of(), cve(LOG4SHELL)), Optional.empty(), true);

        assertEquals(expected, n.band());
        assertEquals(List.of("kev"), n.reasons());
        assertTrue(n.mismatch());
    }

    @Test
    void kevOnCriticalChangesNothing() {
        Normalised n = normaliser.normalise(finding(SeverityBand.CRITICAL, List.of(), cve(LOG4SHELL)), Optional.empty(), true);

        assertEquals(SeverityBand.CRITICAL, n.band());
        assertEquals(List.of(), n.reasons());
        assertFalse(n.mismatch());
    }

    @Test
    void infoOnACriticalAssetStaysInfo() {
        Normalised n = normaliser.normalise(finding(SeverityBand.INFO, List.of()),
                Optional.of(asset(AssetCriticality.CRITICAL, AssetExposure.INTERNET_FACING)), false);

        assertEquals(SeverityBand.INFO, n.band());
        assertEquals(List.of(), n.reasons());
        assertFalse(n.mismatch());
    }

    @Test
    void infoRaisedByCvssIsThenRaisedByTheAsset() {
        FindingReported f = finding(SeverityBand.INFO, List.of(cvss("3.1", null, 5.0)));

        Normalised n = normaliser.normalise(f, Optional.of(asset(AssetCriticality.CRITICAL, AssetExposure.INTERNAL)), false);

        assertEquals(SeverityBand.HIGH, n.band());
        assertEquals(List.of("cvss", "asset-criticality"), n.reasons());
    }

    @Test
    void everyRuleStacksAndIsCappedAtCritical() {
        FindingReported f = finding(SeverityBand.LOW, List.of(cvss("3.1", null, 5.0)), cve(LOG4SHELL));

        Normalised n = normaliser.normalise(f, Optional.of(asset(AssetCriticality.CRITICAL, AssetExposure.INTERNAL)), true);

        assertEquals(SeverityBand.CRITICAL, n.band());
        assertEquals(List.of("cvss", "asset-criticality", "kev"), n.reasons());
        assertEquals(5.0, n.cvssScore());
    }

    @Test
    void lowerCvssNeverLowersTheScannerBand() {
        FindingReported f = finding(SeverityBand.CRITICAL, List.of(cvss("3.1", null, 2.0)), cve(LOG4SHELL));

        Normalised n = normaliser.normalise(f, Optional.empty(), false);

        assertEquals(SeverityBand.CRITICAL, n.band());
        assertEquals(2.0, n.cvssScore());
        assertEquals(List.of(), n.reasons());
        assertFalse(n.mismatch());
    }

    @Test
    void missingListsEveryAbsentInput() {
        Normalised none = normaliser.normalise(finding(SeverityBand.MEDIUM, List.of()), Optional.empty(), false);
        assertEquals(List.of("cve", "cvss", "asset"), none.missing());
        assertEquals(new Normalised(SeverityBand.MEDIUM, SeverityBand.MEDIUM, null, List.of(), none.missing(), false), none);

        Normalised all = normaliser.normalise(
                finding(SeverityBand.MEDIUM, List.of(cvss("3.1", null, 5.0)), cve(LOG4SHELL)),
                Optional.of(asset(AssetCriticality.LOW, AssetExposure.INTERNAL)), false);
        assertEquals(List.of(), all.missing());
    }

    @Test
    void unusableCvssCountsAsMissing() {
        FindingReported f = finding(SeverityBand.MEDIUM, List.of(cvss("3.1", "garbage", null), cvss("3.1", null, 12.0)),
                cve(LOG4SHELL));

        Normalised n = normaliser.normalise(f, Optional.empty(), false);

        assertEquals(List.of("cvss", "asset"), n.missing());
        assertNull(n.cvssScore());
    }

    @Test
    void cvesAreUpperCasedDeduplicatedAndTakenFromAnyKind() {
        FindingReported f = finding(SeverityBand.LOW, List.of(),
                new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-jfh8-c2jp-5v3q"),
                cve(" cve-2021-44228 "),
                cve("CVE-2021-44228"),
                new VulnerabilityId(VulnerabilityIdKind.OTHER, "CVE-2022-22965"),
                cve("not-a-cve"),
                new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, "java/sql-injection"));

        assertEquals(List.of("CVE-2021-44228", "CVE-2022-22965"), SeverityNormaliser.cves(f));
    }

    @Test
    void malformedCveIdCountsAsMissing() {
        Normalised n = normaliser.normalise(finding(SeverityBand.LOW, List.of(), cve("CVE-21-1")), Optional.empty(), false);

        assertTrue(n.missing().contains("cve"));
    }
}
