package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingStatus;
import dev.handoff.streams.stages.Transitions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ./handoff ack FINDING}: acknowledges a finding through the intake's HTTP API, then waits for the streams
 * service to apply it and says who the acknowledgement was recorded for.
 */
@Command(name = "ack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Acknowledge a finding through the local intake and wait until the streams service has applied it.",
                "",
                "Sends POST /v1/findings/{id}/acknowledge with the run file's bearer token.",
                "Who acknowledges: the intake records the actor of the bearer token, never a name sent in the request."
                        + " Acknowledged by someone other than the routed owner, the finding is first reassigned to that person (DESIGN §3)."
                        + " --as OWNER therefore uses a token the local mode issued to OWNER (run file key intake.token.OWNER);"
                        + " without one it refuses rather than record the acknowledgement under another name.",
                "",
                "Before sending, the finding is looked up in the query API: an unknown finding, or one that is not OPEN"
                        + " (an acknowledgement is accepted from OPEN only), is refused and nothing is sent.",
                "Exit codes: 0 acknowledged (and applied, unless --wait 0); 1 refused, unreachable or not applied in time; 2 bad usage."},
        footer = {"", "Example:", "  ./handoff ack f1-4999a7bcfd4bec16b215d5cdf9349d5d --note \"patching today\""})
public final class AckCommand extends LocalCommand {

    private static final Duration POLL = Duration.ofMillis(250);

    @Parameters(index = "0", paramLabel = "FINDING", description = "The finding id (f1-…), as the query API and the dashboard show it.")
    String findingId;

    @Option(names = "--as", paramLabel = "OWNER",
            description = "Acknowledge as OWNER with the token the local mode issued to OWNER (run file key intake.token.OWNER),"
                    + " or with --token when that is OWNER's token; the result is checked to name OWNER.")
    String as;

    @Option(names = "--note", paramLabel = "TEXT", description = "A note carried on the acknowledge command (findings.commands).")
    String note;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "30",
            description = "Wait up to SECONDS for the streams service to apply the acknowledgement (default ${DEFAULT-VALUE};"
                    + " 0: return once the intake accepted it).")
    int waitSeconds;

    private final LocalHttp http = new LocalHttp();

    @Override
    int execute() {
        if (findingId.isBlank()) {
            throw new CommandFailure("FINDING is empty");
        }
        if (waitSeconds < 0) {
            throw new CommandFailure("--wait must be 0 or more seconds, was " + waitSeconds);
        }
        String token = token();
        String intake = run.intakeUrl();
        Optional<String> query = run.queryUrlIfKnown();
        query.ifPresent(this::checkAcknowledgeable);

        ObjectNode body = LocalHttp.MAPPER.createObjectNode();
        if (note != null) {
            body.put("note", note);
        }
        String url = intake + "/v1/findings/" + LocalHttp.segment(findingId) + "/acknowledge";
        LocalHttp.Answer answer = http.postJson(url, token, body.toString(), "the intake");
        if (!answer.ok()) {
            throw new CommandFailure("the intake refused the acknowledgement (HTTP " + answer.status() + "): " + answer.reason()
                    + answer.authHint(run));
        }
        String eventId = answer.json().path("event_id").asText();
        out().printf("sent:     ACKNOWLEDGE of %s accepted by the intake as event %s%n", findingId, eventId);
        if (waitSeconds == 0) {
            return 0;
        }
        if (query.isEmpty()) {
            out().println("applied:  not checked: no query API is known (give --query-url to wait for the streams service)");
            return 0;
        }
        return awaitApplied(query.get(), eventId);
    }

    /** --token, else the run file's token for --as, else the run file's own token. */
    private String token() {
        if (run.tokenGiven() || as == null) {
            return run.token();
        }
        return run.fromFile(LocalRun.OWNER_TOKEN_PREFIX + as).orElseThrow(() -> new CommandFailure("cannot acknowledge as " + as
                + ": the intake records the actor of the bearer token, and the run file " + run.file() + " holds no token for "
                + as + " (" + LocalRun.OWNER_TOKEN_PREFIX + as + "). Give " + as + "'s token with --token, or leave out --as to"
                + " acknowledge as the run file's token holder (the finding is then reassigned to them first)."));
    }

    /** Refuses, before anything is sent, a finding the streams service does not know or would not accept an ack for. */
    private void checkAcknowledgeable(String query) {
        LocalHttp.Answer found;
        try {
            found = http.get(query + "/findings/" + LocalHttp.segment(findingId), "the query API");
        } catch (CommandFailure unreachable) {
            err().println("warning:  could not look the finding up first (" + unreachable.getMessage() + "); sending anyway");
            return;
        }
        if (found.status() == 404) {
            throw new CommandFailure("no finding " + findingId + " in the local Handoff (the query API at " + query
                    + " does not know it); nothing was sent. The dashboard at " + query + "/ and " + query
                    + "/queues/unrouted list finding ids.");
        }
        if (!found.ok()) {
            err().println("warning:  could not look the finding up first (query API: HTTP " + found.status() + ", "
                    + found.reason() + "); sending anyway");
            return;
        }
        JsonNode state = found.json().path("state");
        FindingStatus status;
        try {
            status = FindingStatus.valueOf(state.path("status").asText());
        } catch (IllegalArgumentException e) {
            return;
        }
        if (!Transitions.allowed(CommandKind.ACKNOWLEDGE, status)) {
            String by = state.path("acknowledged_by").isTextual()
                    ? " (acknowledged by " + state.path("acknowledged_by").asText() + " at " + state.path("acknowledged_at").asText() + ")" : "";
            throw new CommandFailure("finding " + findingId + " is " + status + by + ": an acknowledgement is accepted from "
                    + Transitions.allowedFrom(CommandKind.ACKNOWLEDGE) + " only, so the streams service would dead-letter it;"
                    + " nothing was sent");
        }
    }

    /** Polls the query API until the finding's timeline holds the acknowledgement this command caused. */
    private int awaitApplied(String query, String eventId) {
        Instant deadline = Instant.now().plusSeconds(waitSeconds);
        String last = "no answer yet";
        while (true) {
            try {
                LocalHttp.Answer a = http.get(query + "/findings/" + LocalHttp.segment(findingId), "the query API");
                if (a.ok()) {
                    JsonNode view = a.json();
                    Optional<JsonNode> ack = entry(view, eventId, "ACKNOWLEDGED");
                    if (ack.isPresent()) {
                        return applied(view, ack.get(), entry(view, eventId, "REASSIGNED"));
                    }
                    last = "status " + view.path("state").path("status").asText();
                } else {
                    last = "HTTP " + a.status() + " " + a.reason();
                }
            } catch (CommandFailure e) {
                last = e.getMessage();
            }
            if (!Instant.now().isBefore(deadline)) {
                throw new CommandFailure("the intake accepted event " + eventId + " but the streams service had not applied it after "
                        + waitSeconds + " s (last answer: " + last + "); a command it cannot apply goes to the deadletter topic");
            }
            LockSupport.parkNanos(POLL.toNanos());
        }
    }

    private int applied(JsonNode view, JsonNode ack, Optional<JsonNode> reassigned) {
        JsonNode state = view.path("state");
        String by = ack.path("owner_id").asText();
        Instant at = Instant.parse(ack.path("event_time").asText());
        String latency = state.path("captured_at").isTextual()
                ? ", " + Formats.duration(Duration.between(Instant.parse(state.path("captured_at").asText()), at)) + " after capture" : "";
        out().printf("applied:  %s is %s, acknowledged by %s at %s%s%n", findingId, state.path("status").asText(), by, at, latency);
        reassigned.ifPresent(r -> {
            JsonNode from = r.path("attributes").path("from_owner_id");
            out().printf("          %s was not the routed owner (%s): the finding was reassigned to %s first%n", by,
                    from.isTextual() ? from.asText() : "it was unrouted", by);
        });
        if (as != null && !as.equals(by)) {
            throw new CommandFailure("the acknowledgement was recorded for " + by + ", not " + as + ": the token belongs to " + by);
        }
        return 0;
    }

    private static Optional<JsonNode> entry(JsonNode view, String causeEventId, String kind) {
        for (JsonNode e : view.path("timeline")) {
            if (causeEventId.equals(e.path("cause_event_id").asText()) && kind.equals(e.path("kind").asText())) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
