package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Replays a {@link DemoProgramme} into a running {@link LocalMode}: the directory, asset register, KEV entries and
 * the default SLA policy onto their topics; then, in time order, each report posted to the intake over HTTP (with
 * its past scan time) and each person's command produced to {@code findings.commands} with its past event time,
 * by the owner the streams service routed the finding to.
 */
final class DemoReplay {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LocalMode local;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> ownerOf = new HashMap<>();

    /** What the replay did. */
    record Summary(int reports, int findings, int commands, int skipped) {
    }

    DemoReplay(LocalMode local, PrintStream out) {
        this.local = local;
        this.out = out;
    }

    Summary run(DemoProgramme p) throws IOException, InterruptedException {
        Properties props = local.kafka.clientProperties();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        int reports = 0;
        int commands = 0;
        int skipped = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            p.owners.forEach(o -> send(producer, Topics.OWNERS, o.getOwnerId(), o));
            p.teams.forEach(t -> send(producer, Topics.TEAMS, t.getTeamId(), t));
            p.assets.forEach(a -> send(producer, Topics.ASSETS, a.getAssetId(), a));
            p.kev.forEach(k -> send(producer, Topics.KEV, k.getCveId(), k));
            var policy = SlaPolicies.defaultPolicy();
            send(producer, Topics.SLA_POLICY, policy.getPolicyId(), policy);
            producer.flush();
            out.printf("programme: %d teams, %d owners (%d inactive, %d group inboxes), %d assets, %d KEV entries, default SLA policy%n",
                    p.teams.size(), p.owners.size(), p.owners.stream().filter(o -> !o.getActive()).count(),
                    p.owners.stream().filter(o -> o.getKind() == dev.handoff.avro.OwnerKind.GROUP).count(), p.assets.size(), p.kev.size());
            out.printf("replay:   %d reports (%d findings) and %d commands from %s to now, on the events' own clock%n",
                    p.steps.stream().filter(DemoProgramme.Step::isReport).count(), p.findings.size(),
                    p.steps.stream().filter(s -> !s.isReport()).count(), p.start());
            int done = 0;
            int lastTenth = 0;
            for (DemoProgramme.Step step : p.steps) {
                if (step.isReport()) {
                    postReport(step);
                    reports++;
                } else {
                    String actor = step.command() == CommandKind.CHANGE_SEVERITY ? DemoProgramme.SOC_ANALYST : owner(step.findingId());
                    if (actor == null) {
                        skipped++; // unrouted: nobody to act
                    } else {
                        LifecycleCommand c = DemoProgramme.command(step, actor, Instant.now());
                        send(producer, Topics.FINDINGS_COMMANDS, c.getFindingId(), c);
                        commands++;
                    }
                }
                done++;
                int tenth = done * 10 / p.steps.size();
                if (tenth > lastTenth) {
                    lastTenth = tenth;
                    producer.flush();
                    out.printf("replay:   %3d%%  (%s)  %d reports posted, %d commands%n", tenth * 10, step.at().toString().substring(0, 10),
                            reports, commands);
                }
            }
            producer.flush();
        }
        return new Summary(reports, p.findings.size(), commands, skipped);
    }

    private <V extends SpecificRecord> void send(KafkaProducer<String, byte[]> producer, TopicDef<V> def, String key, V value) {
        String topic = local.topics.name(def);
        producer.send(new ProducerRecord<>(topic, key, local.topics.valueSerde(def).serializer().serialize(topic, value)));
    }

    /** Posts a report to the intake like a CI job would, dated at its scan, and waits until the streams service has it. */
    private void postReport(DemoProgramme.Step step) throws IOException, InterruptedException {
        DemoProgramme.Report r = step.report();
        String query = "source=" + enc(DemoProgramme.source(r.name())) + "&scanned_at=" + enc(step.at().toString())
                + (r.assetHint() == null ? "" : "&asset=" + enc(r.assetHint()));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(local.intakeUrl() + "/v1/reports?" + query))
                .header("Authorization", "Bearer " + local.token)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(r.bytes()));
        if (step.rescanKey() != null) {
            b.header("Idempotency-Key", step.rescanKey());
        }
        HttpResponse<String> answer = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 202 && answer.statusCode() != 200) {
            throw new IllegalStateException("the intake refused the demo report " + r.name() + ": " + answer.statusCode() + " " + answer.body());
        }
        if (!r.findings().isEmpty()) {
            FindingReported last = r.findings().get(r.findings().size() - 1);
            awaitFinding(last.getFindingId());
        }
    }

    /** The owner the streams service routed the finding to, or null when it is unrouted. */
    private String owner(String findingId) throws IOException, InterruptedException {
        if (ownerOf.containsKey(findingId)) {
            return ownerOf.get(findingId);
        }
        Optional<JsonNode> state = finding(findingId);
        String owner = state.map(s -> s.path("owner_id")).filter(n -> !n.isNull() && !n.isMissingNode()).map(JsonNode::asText)
                .filter(s -> !s.isBlank()).orElse(null);
        String route = state.map(s -> s.path("route").asText("")).orElse("");
        if ("UNROUTED".equals(route)) {
            owner = null;
        }
        ownerOf.put(findingId, owner);
        return owner;
    }

    private void awaitFinding(String findingId) throws IOException, InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (finding(findingId).isEmpty()) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the streams service did not record finding " + findingId + " within 60 s");
            }
            Thread.sleep(50);
        }
    }

    private Optional<JsonNode> finding(String findingId) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(local.queryUrl() + "/findings/" + enc(findingId)))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return Optional.empty();
        }
        return Optional.of(JSON.readTree(r.body()).path("state"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
