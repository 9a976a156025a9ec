package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code ./handoff status}: one screen on the running local mode: is each part up, how many findings there are,
 * the unrouted queue, and the handoff numbers per severity for the last 30 days.
 */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "One screen on the running local mode: what is up, the findings, the unrouted queue, the handoff numbers.",
                "",
                "Shows the broker (cluster, topics with the prefix), the streams service, the intake"
                        + " and the alerter (/health of each), the findings in findings.state by status, the unrouted queue, and the"
                        + " handoff numbers per severity for the last 30 days (median and p90 latency, no-ack rate, breaches,"
                        + " from /metrics/handoff).",
                "Exit codes: 0 every part the run file names is up; 1 a part is down or a Handoff topic is missing; 2 bad usage."})
public final class StatusCommand extends LocalCommand {

    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(8);

    @Option(names = "--alerter-url", paramLabel = "URL", description = "The alerter's /metrics and /health server (overrides the run file's alerter.url).")
    String alerterUrl;

    private final LocalHttp http = new LocalHttp();
    private final List<String> down = new ArrayList<>();

    @Override
    int execute() {
        String bootstrap = run.bootstrapServers();
        String prefix = run.topicPrefix();
        out().printf("Handoff local mode (run file %s)%n", run.file());

        boolean brokerUp = broker(bootstrap, prefix);
        Optional<String> query = run.queryUrlIfKnown();
        boolean streamsUp = health("streams", "the streams query API", query, LocalRun.QUERY_URL, "--query-url",
                a -> a.json().path("streams_state").asText());
        health("intake", "the intake", run.intakeUrlIfKnown(), LocalRun.INTAKE_URL, "--intake-url", a -> "");
        Optional<String> alerter = Optional.ofNullable(alerterUrl).or(() -> run.fromFile(LocalRun.ALERTER_URL));
        health("alerter", "the alerter", alerter, LocalRun.ALERTER_URL, "--alerter-url", a -> "");

        if (brokerUp) {
            findings(bootstrap, prefix);
        }
        if (streamsUp) {
            unrouted(query.get());
            handoff(query.get());
        }
        out().println(down.isEmpty() ? "all up" : "not all up: " + String.join("; ", down));
        return down.isEmpty() ? 0 : 1;
    }

    private boolean broker(String bootstrap, String prefix) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(KAFKA_TIMEOUT.toMillis()));
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(p)) {
            DescribeClusterResult cluster = admin.describeCluster();
            int nodes = cluster.nodes().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            String clusterId = cluster.clusterId().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Set<String> names = admin.listTopics().names().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long withPrefix = names.stream().filter(n -> n.startsWith(prefix)).count();
            List<String> missing = Topics.ALL.stream().map(t -> prefix + t.suffix()).filter(n -> !names.contains(n)).toList();
            String topics = missing.isEmpty()
                    ? String.format("%d topics with prefix '%s' (all %d Handoff topics)", withPrefix, prefix, Topics.ALL.size())
                    : String.format("%d topics with prefix '%s', MISSING %s", withPrefix, prefix, String.join(", ", missing));
            line("broker", missing.isEmpty() ? "UP" : "DEGRADED", String.format("%s, cluster %s, %d %s; %s", bootstrap, clusterId, nodes,
                    nodes == 1 ? "node" : "nodes", topics));
            if (!missing.isEmpty()) {
                down.add("broker lacks " + missing.size() + " Handoff topics");
            }
            return true;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            boolean silent = cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException;
            line("broker", "DOWN", bootstrap + ": " + (silent ? "no answer within " + KAFKA_TIMEOUT.toSeconds() + " s" : cause.getMessage()));
            down.add("broker DOWN");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted");
        } catch (org.apache.kafka.common.KafkaException e) {
            line("broker", "DOWN", bootstrap + ": " + e.getMessage());
            down.add("broker DOWN");
            return false;
        }
    }

    /** GET {url}/health: up on 200; a service the run file does not name is not part of this run. */
    private boolean health(String name, String service, Optional<String> url, String key, String option,
                           java.util.function.Function<LocalHttp.Answer, String> detail) {
        if (url.isEmpty()) {
            line(name, "-", "not part of this run (no " + key + " in the run file, no " + option + ")");
            return false;
        }
        String base = url.get().endsWith("/") ? url.get().substring(0, url.get().length() - 1) : url.get();
        try {
            LocalHttp.Answer a = http.get(base + "/health", service);
            if (a.status() == 200) {
                String more = detail.apply(a);
                line(name, "UP", base + (more.isEmpty() ? "" : " " + more));
                return true;
            }
            String state = a.json().path("status").asText(a.json().path("streams_state").asText(""));
            line(name, "DOWN", base + ": HTTP " + a.status() + (state.isEmpty() ? " " + a.reason() : " " + state));
        } catch (CommandFailure e) {
            line(name, "DOWN", e.getMessage());
        }
        down.add(name + " DOWN");
        return false;
    }

    /** Counts the findings of the compacted findings.state topic by their latest status. */
    private void findings(String bootstrap, String prefix) {
        String topic = prefix + Topics.FINDINGS_STATE.suffix();
        Topics topics = new Topics(prefix, 1, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, run.registryUrl())));
        Deserializer<FindingState> states = topics.valueSerde(Topics.FINDINGS_STATE).deserializer();
        Map<String, FindingStatus> latest = new HashMap<>();
        int[] unreadable = {0};
        try (TopicReader reader = new TopicReader(bootstrap)) {
            int n = reader.partitions(topic);
            reader.readToEnd(IntStream.range(0, n).mapToObj(i -> new TopicPartition(topic, i)).toList(), Duration.ofSeconds(20), r -> {
                if (r.value() == null) {
                    latest.remove(r.key());
                    return;
                }
                try {
                    latest.put(r.key(), states.deserialize(topic, r.value()).getStatus());
                } catch (RuntimeException e) {
                    unreadable[0]++;
                }
            });
        } catch (CommandFailure e) {
            line("findings", "?", e.getMessage());
            return;
        }
        Map<FindingStatus, Long> byStatus = new EnumMap<>(FindingStatus.class);
        latest.values().forEach(s -> byStatus.merge(s, 1L, Long::sum));
        String split = byStatus.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
        line("findings", "", latest.size() + " in " + topic + (split.isEmpty() ? "" : ": " + split)
                + (unreadable[0] == 0 ? "" : " (" + unreadable[0] + " records unreadable with schema.registry.url=" + run.registryUrl() + ")"));
    }

    private void unrouted(String query) {
        try {
            LocalHttp.Answer a = http.get(query + "/queues/unrouted", "the query API");
            if (!a.ok()) {
                line("unrouted", "?", "HTTP " + a.status() + " " + a.reason());
                return;
            }
            JsonNode q = a.json();
            int depth = q.path("depth").asInt();
            String oldest = q.path("oldest_entered_at").isTextual()
                    ? ", oldest waiting " + Formats.duration(Duration.between(Instant.parse(q.path("oldest_entered_at").asText()),
                    Instant.parse(q.path("as_of").asText()))) + " (since " + q.path("oldest_entered_at").asText() + ")" : "";
            line("unrouted", "", depth + " waiting for a named owner" + oldest);
        } catch (CommandFailure e) {
            line("unrouted", "?", e.getMessage());
        }
    }

    /** The five numbers per severity from /metrics/handoff (defaults: the last 30 days, dimension ALL). */
    private void handoff(String query) {
        LocalHttp.Answer a;
        try {
            a = http.get(query + "/metrics/handoff?detail=five", "the query API");
        } catch (CommandFailure e) {
            line("handoff", "?", e.getMessage());
            return;
        }
        if (!a.ok()) {
            line("handoff", "?", "HTTP " + a.status() + " " + a.reason());
            return;
        }
        JsonNode m = a.json();
        line("handoff", "", String.format("last 30 days, %s to %s (%s), dimension %s, as of %s", m.path("from").asText(), m.path("to").asText(),
                m.path("zone").asText(), m.path("dimension").asText(), m.path("as_of").asText()));
        JsonNode rows = m.path("rows");
        if (rows.isEmpty()) {
            out().println("          no cohort rows yet (rows are published every metrics.refresh.interval, 10 s by default)");
        } else {
            out().printf("          %-9s %8s %6s %9s %9s  %-22s %8s  %s%n", "band", "captured", "acked", "median", "p90", "no-ack rate", "breaches", "SLA");
            for (JsonNode r : rows) {
                JsonNode noAck = r.path("no_ack");
                long pending = noAck.path("pending").asLong();
                String rate = noAck.path("rate").isNumber()
                        ? String.format("%.0f%% (%d of %d)", 100 * noAck.path("rate").asDouble(), noAck.path("numerator").asLong(),
                        noAck.path("denominator").asLong()) + (pending > 0 ? ", " + pending + " pending" : "")
                        : pending > 0 ? pending + " pending" : "-";
                out().printf("          %-9s %8d %6d %9s %9s  %-22s %8d  %s%n", r.path("band").asText(), r.path("captured").asLong(),
                        r.path("acknowledged").asLong(), Formats.millis(r.get("median_ms")), Formats.millis(r.get("p90_ms")), rate,
                        r.path("handoff_breaches").path("count").asLong(), r.path("sla").path("status").asText());
            }
        }
    }

    private void line(String part, String state, String text) {
        out().printf("%-9s %-9s %s%n", part, state, text).flush();
    }
}
