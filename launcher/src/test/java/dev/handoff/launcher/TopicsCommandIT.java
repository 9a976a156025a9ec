package dev.handoff.launcher;

import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./handoff topics create}, the compose file's one-shot step, against a real broker. */
@Tag("integration")
class TopicsCommandIT {

    private static LocalKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = LocalKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @Test
    void createsEveryTopicWithItsPartitionsAndIsIdempotent() throws Exception {
        Run first = run("topics", "create", "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", "tc-it.",
                "--partitions", "3");
        assertEquals(0, first.exit, first.text());
        int expected = Topics.ALL.size() + 4;
        assertTrue(first.out.contains("topics:  " + expected + " ready with prefix 'tc-it.'"), first.text());
        assertTrue(first.out.contains("created  tc-it.findings.reported (partitions 3, delete)"), first.text());
        assertTrue(first.out.contains("created  tc-it.owners (partitions 1, compact)"), first.text());
        assertTrue(first.out.contains("created  tc-it.findings.activity (partitions 3, delete, kept without time limit)"), first.text());
        assertTrue(first.out.contains("created  tc-it.streams.reference-fanout (partitions 3)"), first.text());

        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<String, TopicDescription> d = admin.describeTopics(List.of("tc-it.findings.commands", "tc-it.kev",
                    "tc-it.streams.cohort-partials")).allTopicNames().get();
            assertEquals(3, d.get("tc-it.findings.commands").partitions().size());
            assertEquals(1, d.get("tc-it.kev").partitions().size());
            assertEquals(3, d.get("tc-it.streams.cohort-partials").partitions().size());
            // The audit record is kept; an input topic takes the cluster's retention.
            ConfigResource activity = new ConfigResource(ConfigResource.Type.TOPIC, "tc-it.findings.activity");
            ConfigResource reported = new ConfigResource(ConfigResource.Type.TOPIC, "tc-it.findings.reported");
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(activity, reported)).all().get();
            assertEquals("-1", configs.get(activity).get("retention.ms").value());
            assertNotEquals("-1", configs.get(reported).get("retention.ms").value());
        }

        Run again = run("topics", "create", "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", "tc-it.",
                "--partitions", "3");
        assertEquals(0, again.exit, again.text());
        assertTrue(!again.out.contains("created "), again.text());
    }

    @Test
    void refusesWhenAFindingTopicHasAnotherPartitionCount() {
        kafka.createTopics(List.of(new NewTopic("tc-wrong.findings.reported", 2, (short) 1)));
        Run run = run("topics", "create", "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", "tc-wrong.",
                "--partitions", "4");
        assertEquals(TopicsCommand.WRONG_PARTITIONS, run.exit, run.text());
        assertTrue(run.err.contains("tc-wrong.findings.reported has 2 partitions, not 4"), run.text());
    }

    @Test
    void anUnreachableClusterIsAKafkaFailure() {
        Run run = run("topics", "create", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "PT2S");
        assertEquals(TopicsCommand.KAFKA_FAILED, run.exit, run.text());
        assertTrue(run.err.contains("Kafka at 127.0.0.1:1 failed"), run.text());
    }

    private record Run(int exit, String out, String err) {
        String text() {
            return out + err;
        }
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            exit = HandoffCli.commandLine().execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }
}
