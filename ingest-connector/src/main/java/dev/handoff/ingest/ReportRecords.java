package dev.handoff.ingest;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SourceTool;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.schemas.FindingIds;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Turns parsed findings of one report into {@code FindingReported} records: the envelope, the report
 * id, the overrides an uploader may give (asset, source, scan time), and the finding id from the one
 * shared function in {@code schemas}. Event ids are {@code <reportId>/<ordinal>}, so a report produced
 * twice yields the same events (consumers and the idempotent intake deduplicate on them).
 *
 * @param reportId   identifies the report: a hash of its bytes and source, or an idempotency key
 * @param source     who put it on the log, e.g. {@code ingest-connector/cli}
 * @param assetHint  binds every finding to this asset when the report names none the register knows
 * @param scannedAt  the scan time; when null, each finding's detection time, else {@code recordedAt}
 * @param recordedAt when Handoff recorded the report
 */
public record ReportRecords(String reportId, String source, String assetHint, Instant scannedAt, Instant recordedAt) {

    public ReportRecords {
        Objects.requireNonNull(reportId, "reportId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(recordedAt, "recordedAt");
    }

    /** The record of the {@code ordinal}-th finding (0-based) of the report. */
    public FindingReported toRecord(ParsedFinding f, long ordinal) {
        FindingTarget target = f.target();
        if (assetHint != null && !assetHint.isBlank()) {
            target = FindingTarget.newBuilder(target).setAssetHint(assetHint.trim()).build();
        }
        Instant eventTime = scannedAt != null ? scannedAt : f.detectedAt() != null ? f.detectedAt() : recordedAt;
        // The all-args constructor, not the builder: the builder validates every field and FindingIds.withId
        // deep-copies the whole record again, together most of this method's cost. The finding's required
        // fields are checked by ParsedFinding and its collections are immutable copies already, so the record
        // may share them. The deep copy used to truncate detected_at to the schema's millisecond precision
        // (the constructor does that only for event_time and recorded_time), so that is done here.
        Instant detectedAt = f.detectedAt() == null ? null : f.detectedAt().truncatedTo(ChronoUnit.MILLIS);
        FindingReported record = new FindingReported(reportId + "/" + ordinal, eventTime, recordedAt, source, null, "", reportId,
                new SourceTool(f.tool(), f.toolVersion()), f.ids(), f.cwes(), f.title(), f.description(), f.severityLabel(),
                f.band(), f.cvss(), target, detectedAt, f.fixedVersion(), f.references(), f.attributes());
        record.put("finding_id", FindingIds.of(record)); // the generated class has no setters
        return record;
    }
}
