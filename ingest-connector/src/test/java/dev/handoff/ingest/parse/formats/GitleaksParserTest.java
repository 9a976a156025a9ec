package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.ingest.parse.ParsedFinding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.handoff.ingest.parse.formats.SarifParserTest.malformed;
import static dev.handoff.ingest.parse.formats.SarifParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class GitleaksParserTest {

    private static final String SECRET = "ghp_S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t0000";

    private final GitleaksParser parser = new GitleaksParser();

    @Test
    void version8FindingsAreMappedWithoutTheSecret() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                [{"Description": "GitHub Personal Access Token", "StartLine": 4, "EndLine": 4, "StartColumn": 9, "EndColumn": 48,
                  "Line": "token = \\"%1$s\\"", "Match": "token = \\"%1$s\\"", "Secret": "%1$s", "File": "ci/deploy.sh",
                  "SymlinkFile": "", "Commit": "0123abcd", "Entropy": 4.7, "Author": "Dev", "Email": "dev@example.com",
                  "Date": "2023-03-01T10:00:00Z", "Message": "oops %1$s", "Tags": ["key", "github"], "RuleID": "github-pat",
                  "Fingerprint": "0123abcd:ci/deploy.sh:github-pat:4"}]
                """.formatted(SECRET));
        ParsedFinding leak = f.get(0);
        assertFalse(leak.toString().contains(SECRET), leak.toString());
        assertFalse(leak.toString().contains("S3cr3t"), leak.toString());
        assertEquals("(none)", leak.severityLabel());
        assertEquals(SeverityBand.HIGH, leak.band());
        assertEquals("github-pat", leak.ids().get(0).getId());
        assertEquals("GitHub Personal Access Token", leak.title());
        assertEquals("ci/deploy.sh", leak.target().getFilePath());
        assertEquals(4, leak.target().getLine());
        assertEquals("0123abcd", leak.attributes().get("commit"));
        assertEquals("0123abcd:ci/deploy.sh:github-pat:4", leak.attributes().get("fingerprint"));
        assertEquals("key,github", leak.attributes().get("tags"));
        assertEquals("2023-03-01T10:00:00Z", leak.attributes().get("commitDate"));
        assertNull(leak.detectedAt(), "the commit date is not the detection time");
    }

    @Test
    void version7FindingsAreMappedWithoutTheOffender() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                [{"line": "aws_key = %1$s", "lineNumber": 12, "offender": "%1$s", "offenderEntropy": -1, "commit": "feed",
                  "repo": "app", "repoURL": "https://github.com/acme/app", "leakURL": "https://github.com/acme/app/blob/feed/k.py#L12",
                  "rule": "AWS Access Key", "commitMessage": "add %1$s", "author": "Dev", "email": "dev@example.com",
                  "file": "k.py", "date": "2021-01-01T00:00:00Z", "tags": "key, AWS", "operation": "addition"},
                 {"line": "x", "lineNumber": 1, "offender": "%1$s", "commit": "beef", "repo": ".", "rule": "Generic", "file": "a", "tags": ""}]
                """.formatted(SECRET));
        assertEquals(2, f.size());
        ParsedFinding v7 = f.get(0);
        assertFalse(f.toString().contains(SECRET), f.toString());
        assertEquals("AWS Access Key", v7.title());
        assertEquals("AWS Access Key", v7.ids().get(0).getId());
        assertEquals("k.py", v7.target().getFilePath());
        assertEquals(12, v7.target().getLine());
        assertEquals("https://github.com/acme/app", v7.target().getRepository());
        assertEquals("key,AWS", v7.attributes().get("tags"));
        assertEquals("feed:k.py:AWS Access Key:12", v7.attributes().get("fingerprint"));
        assertEquals(List.of("https://github.com/acme/app/blob/feed/k.py#L12"), v7.references());
        assertNull(f.get(1).target().getRepository(), "repo '.' names no repository");
        assertEquals("(none)", f.get(1).severityLabel());
    }

    @Test
    void emptyReportsGiveNoFindings() throws Exception {
        assertEquals(0, parse(parser, "[]").size());
        assertEquals(0, parse(parser, "null").size());
    }

    @Test
    void wrongShapesAndTruncationAreMalformedWithALine() {
        malformed(parser, "{\"RuleID\": \"x\"}");
        assertEquals(2, malformed(parser, "[\n \"leak\"]").line());
        assertEquals(3, malformed(parser, "[{\"RuleID\": \"x\",\n \"File\": \"a\",\n \"StartLine\": ").line());
    }
}
