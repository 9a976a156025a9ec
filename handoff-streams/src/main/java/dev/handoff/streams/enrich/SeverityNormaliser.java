package dev.handoff.streams.enrich;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Sets the workspace band the SLA runs on (DESIGN.md section 3, stage 2) and detects SEVERITY_MISMATCH.
 *
 * <p>The rules, applied in this order; a rule's reason is recorded only when it changed the band:
 * <ol>
 *   <li>base: the higher of the scanner band and the band of the best CVSS score
 *       ({@link CvssScores#best}); reason {@value #REASON_CVSS} when CVSS raised it;</li>
 *   <li>asset: one band up when the asset's criticality is CRITICAL (reason
 *       {@value #REASON_ASSET_CRITICALITY}), or when it is HIGH and the asset is INTERNET_FACING (reason
 *       {@value #REASON_ASSET_EXPOSURE}); an INFO band is never raised by the asset;</li>
 *   <li>KEV: when a CVE of the finding is in CISA's KEV catalogue, one band up with a floor of HIGH
 *       (INFO, LOW, MEDIUM become HIGH; HIGH becomes CRITICAL); reason {@value #REASON_KEV};</li>
 *   <li>the result is capped at CRITICAL, and nothing ever lowers the band below the scanner's.</li>
 * </ol>
 * Missing inputs are listed as {@value #MISSING_CVE} (no CVE id), {@value #MISSING_CVSS} (no usable CVSS
 * score) and {@value #MISSING_ASSET} (no bound asset), which makes the enrichment partial.
 */
public final class SeverityNormaliser {

    /** CVSS rated the finding higher than the scanner did. */
    public static final String REASON_CVSS = "cvss";
    /** The finding sits on a business-critical asset. */
    public static final String REASON_ASSET_CRITICALITY = "asset-criticality";
    /** The finding sits on a high-criticality asset reachable from the internet. */
    public static final String REASON_ASSET_EXPOSURE = "asset-exposure";
    /** A CVE of the finding is known to be exploited in the wild. */
    public static final String REASON_KEV = "kev";

    /** The finding names no CVE, so KEV membership could not be checked. */
    public static final String MISSING_CVE = "cve";
    /** The finding carries no usable CVSS score. */
    public static final String MISSING_CVSS = "cvss";
    /** No asset is bound to the finding. */
    public static final String MISSING_ASSET = "asset";

    private static final Pattern CVE_ID = Pattern.compile("CVE-\\d{4}-\\d{4,}");

    /**
     * The outcome of normalisation.
     *
     * @param scannerBand the band the scanner gave
     * @param band        the workspace band the SLA runs on; never lower than scannerBand
     * @param cvssScore   the base score of the CVSS entry used, null when none was usable
     * @param reasons     why band is above the base it started from, in rule order
     * @param missing     inputs that were absent, in the order cve, cvss, asset
     * @param mismatch    scannerBand ranks lower than band: the SEVERITY_MISMATCH failure mode
     */
    public record Normalised(SeverityBand scannerBand, SeverityBand band, Double cvssScore, List<String> reasons,
                             List<String> missing, boolean mismatch) {

        public Normalised {
            Objects.requireNonNull(scannerBand, "scannerBand");
            Objects.requireNonNull(band, "band");
            reasons = List.copyOf(reasons);
            missing = List.copyOf(missing);
        }
    }

    /**
     * Normalises a finding's severity with the data at hand.
     *
     * @param finding the captured finding
     * @param asset   the asset bound to the finding, empty when binding found none
     * @param kev     whether any of {@link #cves(FindingReported)} is in the KEV catalogue
     */
    public Normalised normalise(FindingReported finding, Optional<Asset> asset, boolean kev) {
        Objects.requireNonNull(finding, "finding");
        Objects.requireNonNull(asset, "asset (use Optional.empty() when no asset is bound)");
        SeverityBand scannerBand = Objects.requireNonNull(finding.getScannerBand(), "finding.scanner_band");
        List<String> reasons = new ArrayList<>();

        Optional<CvssScores.Score> cvss = CvssScores.best(finding.getCvss());
        SeverityBand band = scannerBand;
        if (cvss.isPresent()) {
            band = step(band, SeverityBands.max(band, CvssScores.bandOf(cvss.get().baseScore())), REASON_CVSS, reasons);
        }
        if (asset.isPresent() && band != SeverityBand.INFO) {
            band = raiseForAsset(band, asset.get(), reasons);
        }
        if (kev) {
            band = step(band, SeverityBands.max(SeverityBands.raise(band, 1), SeverityBand.HIGH), REASON_KEV, reasons);
        }

        List<String> missing = new ArrayList<>();
        if (cves(finding).isEmpty()) {
            missing.add(MISSING_CVE);
        }
        if (cvss.isEmpty()) {
            missing.add(MISSING_CVSS);
        }
        if (asset.isEmpty()) {
            missing.add(MISSING_ASSET);
        }
        Double cvssScore = cvss.map(CvssScores.Score::baseScore).orElse(null);
        return new Normalised(scannerBand, band, cvssScore, reasons, missing, SeverityBands.lower(scannerBand, band));
    }

    /**
     * The finding's CVE ids, upper-case and without duplicates, in report order, for the KEV lookup. An
     * id counts when it has the CVE form, whatever kind the report gave it (scanners file CVEs under OTHER
     * or their rule id); a CVE-kind id without that form cannot be in KEV and is left out.
     */
    public static List<String> cves(FindingReported finding) {
        return cves(finding.getVulnerabilityIds());
    }

    /** The well-formed CVE ids among {@code ids}, upper case, each once, in order. */
    public static List<String> cves(List<VulnerabilityId> ids) {
        Set<String> cves = new LinkedHashSet<>();
        for (VulnerabilityId id : ids) {
            if (id.getId() == null) {
                continue;
            }
            String candidate = id.getId().trim().toUpperCase(Locale.ROOT);
            if (CVE_ID.matcher(candidate).matches()) {
                cves.add(candidate);
            }
        }
        return List.copyOf(cves);
    }

    private static SeverityBand raiseForAsset(SeverityBand band, Asset asset, List<String> reasons) {
        if (asset.getCriticality() == AssetCriticality.CRITICAL) {
            return step(band, SeverityBands.raise(band, 1), REASON_ASSET_CRITICALITY, reasons);
        }
        if (asset.getCriticality() == AssetCriticality.HIGH && asset.getExposure() == AssetExposure.INTERNET_FACING) {
            return step(band, SeverityBands.raise(band, 1), REASON_ASSET_EXPOSURE, reasons);
        }
        return band;
    }

    /** Moves to {@code next} and records the reason when that changed the band. */
    private static SeverityBand step(SeverityBand current, SeverityBand next, String reason, List<String> reasons) {
        if (next != current) {
            reasons.add(reason);
        }
        return next;
    }
}
