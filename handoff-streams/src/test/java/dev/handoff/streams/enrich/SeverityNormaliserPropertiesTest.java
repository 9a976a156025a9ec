package dev.handoff.streams.enrich;

import static dev.handoff.streams.enrich.Fixtures.asset;
import static dev.handoff.streams.enrich.Fixtures.cve;
import static dev.handoff.streams.enrich.Fixtures.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.CvssScore;
import dev.handoff.avro.SeverityBand;
import dev.handoff.streams.enrich.SeverityNormaliser.Normalised;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SeverityNormaliserPropertiesTest {

    private static final Set<String> REASONS = Set.of("cvss", "asset-criticality", "asset-exposure", "kev");

    private final SeverityNormaliser normaliser = new SeverityNormaliser();

    @Property
    void bandIsNeverBelowTheScannerBandAndMismatchMeansRaised(@ForAll SeverityBand scanner,
                                                              @ForAll("cvssEntries") List<CvssScore> cvss,
                                                              @ForAll("assets") Optional<Asset> asset,
                                                              @ForAll boolean kev) {
        Normalised n = normaliser.normalise(finding(scanner, cvss, cve("CVE-2021-44228")), asset, kev);

        assertFalse(SeverityBands.lower(n.band(), scanner), n::toString);
        assertEquals(SeverityBands.lower(scanner, n.band()), n.mismatch(), n::toString);
        assertEquals(n.mismatch(), !n.reasons().isEmpty(), n::toString);
        assertTrue(REASONS.containsAll(n.reasons()), n::toString);
        if (n.cvssScore() != null) {
            assertFalse(SeverityBands.lower(n.band(), CvssScores.bandOf(n.cvssScore())), n::toString);
        }
        if (kev) {
            assertFalse(SeverityBands.lower(n.band(), SeverityBand.HIGH), n::toString);
        }
    }

    /** Every combination of scanner band, asset criticality and exposure, KEV or not, without CVSS. */
    @Property(generation = GenerationMode.EXHAUSTIVE)
    void withoutCvssEveryCombinationStaysWithinOneAssetAndOneKevStep(@ForAll SeverityBand scanner,
                                                                    @ForAll AssetCriticality criticality,
                                                                    @ForAll AssetExposure exposure,
                                                                    @ForAll boolean kev) {
        Normalised n = normaliser.normalise(finding(scanner, List.of()), Optional.of(asset(criticality, exposure)), kev);

        int steps = SeverityBands.rank(n.band()) - SeverityBands.rank(scanner);
        assertTrue(steps >= 0 && steps <= (kev ? 4 : 1), n::toString);
        if (!kev && scanner == SeverityBand.INFO) {
            assertEquals(SeverityBand.INFO, n.band(), n::toString);
        }
    }

    @Property(generation = GenerationMode.EXHAUSTIVE)
    void bandIsTheScannerBandWithoutCvssKevOrAsset(@ForAll SeverityBand scanner) {
        Normalised n = normaliser.normalise(finding(scanner, List.of()), Optional.empty(), false);

        assertEquals(new Normalised(scanner, scanner, null, List.of(), List.of("cve", "cvss", "asset"), false), n);
    }

    @Provide
    Arbitrary<List<CvssScore>> cvssEntries() {
        Arbitrary<String> versions = Arbitraries.of("2.0", "3.0", "3.1", "4.0", "v3.1", "5.0");
        Arbitrary<String> vectors = Arbitraries.of(
                "AV:N/AC:M/Au:N/C:C/I:C/A:C",
                "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "CVSS:4.0/AV:N",
                "garbage",
                "").injectNull(0.3);
        Arbitrary<Double> scores = Arbitraries.doubles().between(-1.0, 11.0).ofScale(1).injectNull(0.3);
        return Combinators.combine(versions, vectors, scores)
                .as((version, vector, score) -> new CvssScore(version, vector, score, null))
                .list().ofMaxSize(3);
    }

    @Provide
    Arbitrary<Optional<Asset>> assets() {
        Arbitrary<Optional<Asset>> bound = Combinators
                .combine(Arbitraries.of(AssetCriticality.class), Arbitraries.of(AssetExposure.class))
                .as((criticality, exposure) -> Optional.of(asset(criticality, exposure)));
        return Arbitraries.oneOf(Arbitraries.just(Optional.empty()), bound);
    }
}
