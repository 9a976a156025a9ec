package dev.handoff.launcher;

import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;
import dev.handoff.launcher.audit.AuditTrail;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code ./handoff export}: exports from the local mode's log; today one finding's audit timeline. */
@Command(name = "export", mixinStandardHelpOptions = true, subcommands = ExportCommand.Activity.class,
        description = {"Export from the local mode's log: today one finding's audit timeline (export activity).", "",
                "Subcommand: activity (one finding's audit timeline with the controls each entry evidences, as CSV)."})
public final class ExportCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name what to export: activity");
    }

    /** {@code ./handoff export activity --finding ID --csv}: the audit timeline of one finding. */
    @Command(name = "activity", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                    "The audit timeline of one finding as CSV, with the compliance controls each entry evidences.",
                    "",
                    "Read from findings.activity (read_committed, from the beginning, only the"
                            + " finding's partition), one row per entry in event-time order, as RFC 4180 CSV with a header row"
                            + " (or JSON lines with --ndjson).",
                    "",
                    "Columns: time, recorded_time, stage, activity, actor, owner, team, band, failure_modes, details, source,"
                            + " event_id, cause_event_id, evidence, controls. team is the finding's team now (from findings.state):"
                            + " activity entries carry no team of their own.",
                    "",
                    "Each row names the controls it is evidence for (citations from the domain article, shared/domain):",
                    "  identification   (capture, duplicate capture, reopening, enrichment, severity change): NIST SP 800-53 RA-5",
                    "  timely handling  (routing, notification, acknowledgement, reassignment, deadlines, failure modes,"
                            + " handoff and no-ack SLA alerts): SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8",
                    "  flaw remediation (triage, work started, resolved, verified, risk accepted, false positive,"
                            + " remediation SLA alerts): NIST SP 800-53 SI-2; PCI DSS v4.0 6.3.3",
                    "  comments evidence no control on their own.",
                    "Exit codes: 0 written; 1 no such finding on the log or Kafka unreachable; 2 bad usage."},
            footer = {"", "Example:", "  ./handoff export activity --finding f1-4999a7bcfd4bec16b215d5cdf9349d5d --csv --out audit.csv"})
    public static final class Activity extends LocalCommand {

        @Option(names = "--finding", required = true, paramLabel = "ID", description = "The finding id (f1-…).")
        String findingId;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Format format;

        @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE (replaced whole, only once complete) instead of stdout.")
        Path outFile;

        /** --csv is the format for now; JSON lines carry the same columns. */
        static final class Format {
            @Option(names = "--csv", required = true, description = "RFC 4180 CSV with a header row.")
            boolean csv;

            @Option(names = "--ndjson", required = true, description = "One JSON object per line, the same columns as fields.")
            boolean ndjson;
        }

        @Override
        int execute() {
            String bootstrap = run.bootstrapServers();
            Topics topics = new Topics(run.topicPrefix(), 1, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, run.registryUrl())));
            String activityTopic = topics.name(Topics.FINDINGS_ACTIVITY);
            String stateTopic = topics.name(Topics.FINDINGS_STATE);
            List<FindingActivity> entries = new ArrayList<>();
            String team;
            TopicPartition partition;
            int partitions;
            try (TopicReader reader = new TopicReader(bootstrap)) {
                partitions = reader.partitions(activityTopic);
                partition = new TopicPartition(activityTopic, partitionOf(topics, activityTopic, findingId, partitions));
                Deserializer<FindingActivity> activity = topics.valueSerde(Topics.FINDINGS_ACTIVITY).deserializer();
                reader.readToEnd(List.of(partition), Duration.ofSeconds(60), r -> {
                    if (findingId.equals(r.key()) && r.value() != null) {
                        entries.add(decode(activity, activityTopic, r.value(), r.partition(), r.offset()));
                    }
                });
                team = team(reader, topics, stateTopic);
            }
            if (entries.isEmpty()) {
                throw new CommandFailure("no activity for finding " + findingId + " in " + activityTopic + " (partition "
                        + partition.partition() + " of " + partitions + ", where its key lands) on " + bootstrap + ": check the finding id");
            }
            AuditTrail trail = new AuditTrail(entries, team);
            if (outFile == null) {
                write(trail, out());
            } else {
                writeFile(trail, outFile);
            }
            String counts = trail.evidenceCounts().entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                    .collect(Collectors.joining(", "));
            err().printf("exported %d entries of finding %s from %s partition %d (%s)%s%n", trail.entries().size(), findingId,
                    activityTopic, partition.partition(), counts, outFile == null ? "" : " to " + outFile);
            return 0;
        }

        /** The partition Kafka's default partitioner gives the key, which is where the streams service wrote it. */
        static int partitionOf(Topics topics, String topic, String key, int partitions) {
            return BuiltInPartitioner.partitionForKey(topics.keySerde().serializer().serialize(topic, key), partitions);
        }

        /** The finding's current team from findings.state (same key, same partitioning), or null. */
        private String team(TopicReader reader, Topics topics, String stateTopic) {
            int n = reader.partitions(stateTopic);
            Deserializer<FindingState> states = topics.valueSerde(Topics.FINDINGS_STATE).deserializer();
            String[] team = {null};
            reader.readToEnd(List.of(new TopicPartition(stateTopic, partitionOf(topics, stateTopic, findingId, n))), Duration.ofSeconds(60), r -> {
                if (findingId.equals(r.key())) {
                    team[0] = r.value() == null ? null : decode(states, stateTopic, r.value(), r.partition(), r.offset()).getTeamId();
                }
            });
            return team[0];
        }

        private <T> T decode(Deserializer<T> d, String topic, byte[] value, int partition, long offset) {
            try {
                return d.deserialize(topic, value);
            } catch (RuntimeException e) {
                throw new CommandFailure("cannot decode " + topic + " partition " + partition + " offset " + offset + " with schema.registry.url="
                        + run.registryUrl() + ": " + e.getMessage());
            }
        }

        private void write(AuditTrail trail, Writer to) {
            if (format.csv) {
                trail.writeCsv(to);
            } else {
                trail.writeNdjson(to);
            }
        }

        /** Writes a sibling temporary file and moves it over FILE, so FILE is never left half written. */
        private void writeFile(AuditTrail trail, Path file) {
            Path target = file.toAbsolutePath();
            if (!Files.isDirectory(target.getParent())) {
                throw new CommandFailure("cannot write " + file + ": the directory " + target.getParent() + " does not exist");
            }
            Path temp = null;
            try {
                // Not createTempFile: that makes the file owner-only, and an export should get the user's usual permissions.
                temp = target.resolveSibling("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
                try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    write(trail, w);
                }
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AccessDeniedException e) {
                throw new CommandFailure("cannot write " + file + ": permission denied");
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new CommandFailure("cannot write " + file + ": " + e);
            } finally {
                if (temp != null) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException ignored) {
                        // the move succeeded or the write failed already: nothing more to say
                    }
                }
            }
        }
    }
}
