package dev.handoff.schemas;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FindingIdsTest {

    @Test
    void idIsStableAndShapedForUseAsAKafkaKey() {
        String id = FindingIds.of(SampleFindings.log4j().build());
        assertEquals(id, FindingIds.of(SampleFindings.log4j().build()));
        assertTrue(id.matches("f1-[0-9a-f]{32}"), id);
    }

    @Test
    void keyUsesImageRepositoryCveAndPackageVersion() {
        FindingIds.Key key = FindingIds.keyOf(SampleFindings.log4j().build());
        assertEquals("image:registry.example.com/payments/api", key.target());
        assertEquals("CVE-2021-44228", key.vulnerability());
        assertEquals("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", key.location());
    }

    @Test
    void sameWeaknessFromAnotherScannerAndAnotherTagIsTheSameFinding() {
        FindingReported trivy = SampleFindings.log4j().build();
        FindingReported grype = SampleFindings.log4j()
                .setSourceTool(new SourceTool("grype", "0.74.0"))
                .setScannerSeverity("Critical")
                .setTitle("CVE-2021-44228")
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "cve-2021-44228")))
                .setTarget(SampleFindings.log4jTarget()
                        .setImage("REGISTRY.example.com/payments/api")
                        .setImageTag("1.4.3")
                        .setImageDigest(null)
                        .setFilePath("/app/lib/log4j-core-2.14.1.jar")
                        .build())
                .build();
        assertEquals(FindingIds.of(trivy), FindingIds.of(grype));
    }

    @Test
    void anotherPackageVersionOrAnotherCveIsAnotherFinding() {
        FindingReported base = SampleFindings.log4j().build();
        FindingReported newer = SampleFindings.log4j().setTarget(SampleFindings.log4jTarget()
                .setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0").build()).build();
        FindingReported otherCve = SampleFindings.log4j().setVulnerabilityIds(
                List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-45046"))).build();
        assertNotEquals(FindingIds.of(base), FindingIds.of(newer));
        assertNotEquals(FindingIds.of(base), FindingIds.of(otherCve));
    }

    @Test
    void ruleIdsAreQualifiedByToolBecauseTheyAreOnlyUniqueWithinOneTool() {
        FindingReported semgrep = codeFinding("Semgrep", "python.lang.security.audit.eval-detected");
        FindingReported bandit = codeFinding("Bandit", "python.lang.security.audit.eval-detected");
        assertEquals("rule:semgrep:python.lang.security.audit.eval-detected", FindingIds.keyOf(semgrep).vulnerability());
        assertNotEquals(FindingIds.of(semgrep), FindingIds.of(bandit));
    }

    @Test
    void codeFindingsAreLocatedByFileAndLineInTheRepository() {
        FindingIds.Key key = FindingIds.keyOf(codeFinding("CodeQL", "java/sql-injection"));
        assertEquals("repo:github.com/acme/shop", key.target());
        assertEquals("src/main/java/Shop.java:42", key.location());
    }

    @Test
    void webFindingsAreTargetedByOriginAndLocatedByPathWithoutQuery() {
        FindingReported zap = FindingReported.newBuilder(codeFinding("OWASP ZAP", "10021"))
                .setTarget(FindingTarget.newBuilder().setUrl("https://Shop.example.com/cart/checkout?id=7#top").build())
                .build();
        FindingIds.Key key = FindingIds.keyOf(zap);
        assertEquals("web:https://shop.example.com", key.target());
        assertEquals("/cart/checkout", key.location());
    }

    @Test
    void idsOfKnownFindingsNeverChange() {
        // Pinned: a change here splits every open finding in two and needs a VERSION bump and a migration.
        assertEquals("f1-008f8da91a0fd2d2cefec24ffdee3f5b", FindingIds.of(SampleFindings.log4j().build()));
        assertEquals("f1-e4c71eb6ff898d2cdbed6e5755fa8c18", FindingIds.of(codeFinding("CodeQL", "java/sql-injection")));
        FindingReported titled = FindingReported.newBuilder(codeFinding("Nessus", " "))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.OTHER, "  "),
                        new VulnerabilityId(VulnerabilityIdKind.GHSA, "ghsa-jfh8-c2jp-5v3q"),
                        new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-7rjr-3q55-vv33")))
                .setTarget(FindingTarget.newBuilder().setHost("Web01.Example.com.").setPort(443).setProtocol("TCP").build())
                .build();
        assertEquals("host:web01.example.com", FindingIds.keyOf(titled).target());
        assertEquals("GHSA-7RJR-3Q55-VV33", FindingIds.keyOf(titled).vulnerability());
        assertEquals("f1-239a5f1672c6ec489d27083175d40ecb", FindingIds.of(titled));
        FindingReported untargeted = FindingReported.newBuilder(codeFinding("Nessus", " "))
                .setTarget(FindingTarget.newBuilder().build()).build();
        assertEquals("title:nessus:" + untargeted.getTitle().trim().toLowerCase(java.util.Locale.ROOT),
                FindingIds.keyOf(untargeted).vulnerability());
        assertEquals("f1-581a98445f0a031fbb054bc772676c0c", FindingIds.of(untargeted));
    }

    @Property
    void orderOfVulnerabilityIdsDoesNotMatter(@ForAll @AlphaChars @StringLength(min = 1, max = 12) String suffix,
                                               @ForAll long seed) {
        List<VulnerabilityId> ids = new ArrayList<>(List.of(
                new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2024-" + Math.abs(seed % 100000)),
                new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-" + suffix),
                new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2023-1"),
                new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, suffix)));
        String first = FindingIds.of(SampleFindings.log4j().setVulnerabilityIds(ids).build());
        Collections.shuffle(ids, new java.util.Random(seed));
        String second = FindingIds.of(SampleFindings.log4j().setVulnerabilityIds(ids).build());
        assertEquals(first, second);
    }

    @Property
    void imageTagAndDigestNeverChangeTheId(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String tag) {
        FindingReported tagged = SampleFindings.log4j().setTarget(SampleFindings.log4jTarget()
                .setImage("registry.example.com/payments/api:" + tag).setImageTag(tag).build()).build();
        assertEquals(FindingIds.of(SampleFindings.log4j().build()), FindingIds.of(tagged));
    }

    private static FindingReported codeFinding(String tool, String rule) {
        return SampleFindings.log4j()
                .setSourceTool(new SourceTool(tool, null))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, rule)))
                .setTarget(FindingTarget.newBuilder()
                        .setRepository("https://github.com/acme/shop.git")
                        .setFilePath("./src/main/java/Shop.java")
                        .setLine(42)
                        .build())
                .build();
    }
}
