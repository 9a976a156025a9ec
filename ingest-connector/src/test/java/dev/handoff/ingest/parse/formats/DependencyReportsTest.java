package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DependencyReportsTest {

    @Test
    void idsAreFiledUnderTheNamespaceTheirSpellingShows() {
        assertEquals(VulnerabilityIdKind.CVE, DependencyReports.kindOf("cve-2021-44228"));
        assertEquals(VulnerabilityIdKind.GHSA, DependencyReports.kindOf("GHSA-jfh8-c2jp-5v3q"));
        assertEquals(VulnerabilityIdKind.OSV, DependencyReports.kindOf("GO-2022-0493"));
        assertEquals(VulnerabilityIdKind.OSV, DependencyReports.kindOf("PYSEC-2021-59"));
        assertEquals(VulnerabilityIdKind.OSV, DependencyReports.kindOf("RUSTSEC-2021-0078"));
        assertEquals(VulnerabilityIdKind.OTHER, DependencyReports.kindOf("ALAS2-2021-1234"));
        assertEquals(VulnerabilityIdKind.OTHER, DependencyReports.kindOf("TEMP-0841856-B18BAF"));
        assertEquals("GHSA-67hx-6x53-jw92", DependencyReports.ghsaInUrl("https://github.com/advisories/GHSA-67hx-6x53-jw92"));
        assertNull(DependencyReports.ghsaInUrl("https://npmjs.com/advisories/1488"));
    }

    @Test
    void fiveStepLabelsMapToBandsAndTheRestToLow() {
        assertEquals(SeverityBand.MEDIUM, DependencyReports.band("moderate"));
        assertEquals(SeverityBand.MEDIUM, DependencyReports.band("MODERATE"));
        assertEquals(SeverityBand.INFO, DependencyReports.band("Negligible"));
        assertEquals(SeverityBand.INFO, DependencyReports.band("info"));
        assertEquals(SeverityBand.LOW, DependencyReports.band("UNKNOWN"));
        assertEquals(SeverityBand.LOW, DependencyReports.band(null));
        assertEquals(SeverityBand.CRITICAL, DependencyReports.band("Critical"));
    }

    @Test
    void cvssVersionsComeFromTheVector() {
        assertEquals("3.1", DependencyReports.cvssVersion("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", null));
        assertEquals("4.0", DependencyReports.cvssVersion("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "3"));
        assertEquals("2.0", DependencyReports.cvssVersion("AV:N/AC:L/Au:N/C:P/I:P/A:P", null));
        assertEquals("3.0", DependencyReports.cvssVersion(null, "3"));
        assertNull(DependencyReports.cvssVersion(null, null));
    }

    @Test
    void imageReferencesSplitAtTheirLastColonAfterTheLastSlash() {
        assertEquals(new DependencyReports.ImageRef("registry:5000/team/api", "1.2", "sha256:abc"),
                DependencyReports.ImageRef.parse("registry:5000/team/api:1.2@sha256:abc"));
        assertEquals(new DependencyReports.ImageRef("registry:5000/team/api", null, null),
                DependencyReports.ImageRef.parse("registry:5000/team/api"));
        assertEquals(new DependencyReports.ImageRef("alpine", "3.10", null), DependencyReports.ImageRef.parse("alpine:3.10"));
        assertEquals("sha256:abc", DependencyReports.ImageRef.digestOf("team/api@sha256:abc"));
    }

    @Test
    void purlsEncodeWhatThePurlSpecAsks() {
        assertEquals("pkg:npm/%40angular/core@12.0.0", DependencyReports.ecosystemPurl("npm", "@angular/core", "12.0.0"));
        assertEquals("pkg:maven/org.yaml/snakeyaml@1.33", DependencyReports.ecosystemPurl("maven", "org.yaml:snakeyaml", "1.33"));
        assertEquals("pkg:deb/debian/bash@5.1-2+deb11u1", DependencyReports.purl("deb", "debian", "bash", "5.1-2+deb11u1"));
        assertEquals("pkg:pypi/django", DependencyReports.ecosystemPurl("pypi", "Django", null));
        assertNull(DependencyReports.ecosystemPurl(null, "x", "1"));
    }

    @Test
    void theSpoolGivesItemsBackInOrderWithTheirPositionsAndLeavesNoFile() throws IOException, ReportException {
        long before = spoolFiles();
        List<String> seen = new ArrayList<>();
        try (DependencyReports.Spool spool = new DependencyReports.Spool(ParseLimits.defaults())) {
            for (int i = 0; i < 5000; i++) {
                JsonNode item = DependencyReports.MAPPER.readTree("{\"n\": " + i + ", \"deep\": {\"a\": [1, {\"b\": \"x\"}]}}");
                spool.add("k" + (i % 2), item, new JsonLocation(null, -1, i + 1, 3));
            }
            spool.drain((kind, item, line, column) -> seen.add(kind + ":" + item.path("n").asInt() + "@" + line + "," + column));
            assertEquals(before, spoolFiles(), "drained spools delete their file");
        }
        assertEquals(5000, seen.size());
        assertEquals("k0:0@1,3", seen.get(0));
        assertEquals("k1:4999@5000,3", seen.get(4999));
        assertEquals(before, spoolFiles());
    }

    @Test
    void aFailedParseLeavesNoSpoolFile() throws IOException {
        long before = spoolFiles();
        String report = "{\"matches\": [{\"vulnerability\": {\"id\": \"CVE-2020-1\", \"severity\": \"High\"}}, {\"vulnerability\": ";
        try {
            new GrypeParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()),
                    (ParsedFinding f) -> { });
        } catch (ReportException expected) {
            assertEquals(ReportException.Kind.MALFORMED, expected.kind());
        }
        assertEquals(before, spoolFiles());
    }

    private static long spoolFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("handoff-report-")).count();
        }
    }
}
