package dev.handoff.ingest.connect;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportParsers;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/** Reports for the spool connector's tests: corpus files, generated large reports, and how the task names them. */
final class SpoolFixtures {

    private SpoolFixtures() {
    }

    static Path corpus(String name) {
        try {
            return Path.of(SpoolFixtures.class.getResource("/scans/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A Trivy (schema 2) report of {@code n} distinct vulnerabilities, written as a stream so its size costs no
     * memory (about 400 bytes a finding).
     */
    static Path trivy(Path to, int n, String tag) throws Exception {
        try (JsonGenerator g = new JsonFactory().createGenerator(to.toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("SchemaVersion", 2);
            g.writeStringField("ArtifactName", "registry.example.com/gen-" + tag + ":1.0");
            g.writeStringField("ArtifactType", "container_image");
            g.writeArrayFieldStart("Results");
            g.writeStartObject();
            g.writeStringField("Target", "registry.example.com/gen-" + tag + ":1.0 (alpine 3.19.1)");
            g.writeStringField("Class", "os-pkgs");
            g.writeStringField("Type", "alpine");
            g.writeArrayFieldStart("Vulnerabilities");
            for (int i = 0; i < n; i++) {
                g.writeStartObject();
                g.writeStringField("VulnerabilityID", "CVE-2099-" + (100000 + i));
                g.writeStringField("PkgName", "pkg-" + tag + "-" + i);
                g.writeStringField("InstalledVersion", "1.0." + (i % 7));
                g.writeStringField("FixedVersion", "1.1.0");
                g.writeStringField("Severity", switch (i % 4) {
                    case 0 -> "CRITICAL";
                    case 1 -> "HIGH";
                    case 2 -> "MEDIUM";
                    default -> "LOW";
                });
                g.writeStringField("Title", "generated vulnerability " + i + " of " + tag);
                g.writeStringField("Description", "A vulnerability made up for a test of the spool connector.");
                g.writeArrayFieldStart("References");
                g.writeString("https://example.com/advisories/" + tag + "/" + i);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }
        return to;
    }

    /** Moves {@code file} into the spool as {@code name}, modified at {@code mtime}, atomically (a dot name first). */
    static Path drop(Path spool, Path file, String name, Instant mtime) throws Exception {
        Path tmp = spool.resolve("." + name);
        Files.copy(file, tmp);
        Files.setLastModifiedTime(tmp, FileTime.from(mtime));
        return Files.move(tmp, spool.resolve(name));
    }

    /** The findings Handoff's parsers find in {@code file}: what the connector must emit for it. */
    static long findings(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return new ReportParsers().parse(in, Optional.empty(), ParseLimits.defaults(), f -> { }).findings();
        }
    }

    /** The {@code sha256} of the task's source partition (and so the report id) of {@code file} under {@code source}. */
    static String hash(Path file, String source) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(source.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(Files.readAllBytes(file));
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The report id, and so the prefix of every event id, of {@code file} under {@code source}. */
    static String reportId(Path file, String source) throws Exception {
        return "rpt-" + hash(file, source).substring(0, 32);
    }
}
