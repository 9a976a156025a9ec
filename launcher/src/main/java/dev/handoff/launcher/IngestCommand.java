package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code ./handoff ingest FILE}: posts a scanner report to the running local mode's HTTP intake, the way a CI job
 * does, and prints the receipt. {@code ./handoff ingest parse} and {@code ingest send} (handoff-ingest's own
 * commands, for a real cluster) stay its subcommands.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Post a scanner report to the local intake (POST /v1/reports with the run file's token) and print its receipt:"
                        + " report id, format, findings by severity. The format is detected unless --format names it; a retry of the"
                        + " same file is answered from the first receipt (\"already recorded\"), so nothing lands twice.",
                "",
                "Subcommands parse and send are handoff-ingest's: parse a report offline, or send it straight to a Kafka cluster.",
                "Exit codes: 0 accepted or already recorded; 1 refused (the intake says why) or unreachable; 2 bad usage."},
        footer = {"", "Examples:", "  ./handoff ingest ../shared/scans/trivy/scheme_2_many_vulns.json",
                "  ./handoff ingest results.sarif --asset payments-api --source ci/payments-api"})
public final class IngestCommand extends LocalCommand {

    /** A 100 MB report over a loopback takes well under this; the intake parses before it answers. */
    private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(2);

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The scanner report (any format the intake reads).")
    Path file;

    @Option(names = "--format", paramLabel = "NAME", description = "The report's format (sarif, trivy, grype, …) instead of detecting it.")
    String format;

    @Option(names = "--asset", paramLabel = "HINT", description = "What was scanned, when the report does not say (an image, repository, host).")
    String asset;

    @Option(names = "--source", paramLabel = "NAME", description = "Where the report comes from (default: the intake names the token's actor).")
    String source;

    private final LocalHttp http = new LocalHttp();

    @Override
    int execute() throws IOException {
        if (file == null) {
            spec.commandLine().usage(err());
            return 2;
        }
        if (!Files.isRegularFile(file)) {
            throw new CommandFailure("no such file: " + file);
        }
        byte[] report = Files.readAllBytes(file);
        String url = run.intakeUrl() + "/v1/reports" + query();
        LocalHttp.Answer answer = http.postBytes(url, run.token(), report, UPLOAD_TIMEOUT, "the intake");
        JsonNode receipt = answer.json();
        if (!answer.ok()) {
            throw new CommandFailure("the intake refused " + file + " (HTTP " + answer.status() + "): " + answer.reason() + answer.authHint(run));
        }
        boolean duplicate = receipt.path("duplicate").asBoolean(false);
        out().printf("%s report %s (%s): %d findings%s onto %s%n", duplicate ? "already recorded:" : "accepted:",
                receipt.path("report_id").asText(), receipt.path("format").asText(), receipt.path("findings").asLong(),
                bySeverity(receipt.path("by_severity")), receipt.path("topic").asText());
        out().printf("source:   %s, accepted by %s at %s%s%n", receipt.path("source").asText(), receipt.path("accepted_by").asText(),
                receipt.path("accepted_at").asText(), duplicate ? " (the first time; nothing was added now)" : "");
        return 0;
    }

    private String query() {
        List<String> params = new ArrayList<>();
        addParam(params, "format", format);
        addParam(params, "asset", asset);
        addParam(params, "source", source);
        return params.isEmpty() ? "" : "?" + String.join("&", params);
    }

    private static void addParam(List<String> params, String name, String value) {
        if (value != null && !value.isBlank()) {
            params.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    private static String bySeverity(JsonNode counts) {
        if (counts == null || !counts.isObject() || counts.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(" (");
        Iterator<Map.Entry<String, JsonNode>> it = counts.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            b.append(e.getKey()).append(' ').append(e.getValue().asLong()).append(it.hasNext() ? ", " : ")");
        }
        return b.toString();
    }
}
