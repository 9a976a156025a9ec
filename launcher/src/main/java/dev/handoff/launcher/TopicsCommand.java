package dev.handoff.launcher;

import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.HandoffTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./handoff topics create}: declares every Handoff topic and the streams service's internal topics on a real
 * cluster, so the services find them at start (auto topic creation stays off). Idempotent: existing topics are kept,
 * and checked, because the finding-keyed topics must share one partition count for the stateful core to run without
 * a repartition. Exit codes: 0 done, 2 bad usage, 3 a topic exists with the wrong partition count, 4 Kafka failed.
 */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Manage Handoff's topics on a Kafka cluster.",
        subcommands = {TopicsCommand.Create.class})
public final class TopicsCommand implements Runnable {

    public static final int WRONG_PARTITIONS = 3;
    public static final int KAFKA_FAILED = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create every Handoff topic that is missing; check the partition counts of those that exist.")
    static final class Create implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--bootstrap-servers", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
                description = "Kafka to create them on (default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092).")
        String bootstrapServers;

        @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
                description = "Prefix of every topic name; the services' topic.prefix (default: ${DEFAULT-VALUE}).")
        String prefix;

        @Option(names = "--partitions", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
                description = "Partitions of finding-keyed topics; the streams service's topic.partitions and the most "
                        + "streams instances that get work (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--replication-factor", defaultValue = "-1",
                description = "Replicas per partition; -1 takes the broker's default.replication.factor (default: ${DEFAULT-VALUE}).")
        short replicationFactor;

        @Option(names = "--command-config", paramLabel = "<file>",
                description = "Kafka client properties for the admin client (security.protocol, sasl.*, ssl.*), as for Kafka's own tools.")
        Path commandConfig;

        @Option(names = "--timeout", defaultValue = "PT60S",
                description = "How long to wait for the cluster to answer, ISO-8601 (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            if (partitions < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be at least 1, was " + partitions);
            }
            if (replicationFactor == 0 || replicationFactor < -1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--replication-factor must be -1 (the broker's default) or at least 1, was " + replicationFactor);
            }
            List<NewTopic> wanted = wanted();
            try (Admin admin = Admin.create(adminProperties())) {
                create(admin, wanted);
                return check(admin, wanted);
            } catch (ExecutionException e) {
                System.err.println("handoff topics: Kafka at " + bootstrapServers + " failed: " + e.getCause());
                return KAFKA_FAILED;
            } catch (TimeoutException e) {
                System.err.println("handoff topics: Kafka at " + bootstrapServers + " failed: no answer within " + timeout);
                return KAFKA_FAILED;
            } catch (IllegalStateException e) {
                System.err.println("handoff topics: Kafka at " + bootstrapServers + " failed: " + e.getMessage());
                return KAFKA_FAILED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return KAFKA_FAILED;
            }
        }

        /** Handoff's topics (DESIGN §2) and the streams service's own internal topics, co-partitioned with the findings. */
        private List<NewTopic> wanted() {
            // The registry is never asked anything here: Topics only needs one to be built, for its serdes.
            Topics topics = new Topics(prefix, partitions, SchemaRegistries.embedded());
            List<NewTopic> all = new ArrayList<>(topics.newTopics(replicationFactor));
            all.addAll(HandoffTopology.newInternalTopics(topics, partitions, replicationFactor));
            return all;
        }

        /** Reference topics are read as global tables, so any partition count works for them; every other topic shares one. */
        private Set<String> sharingTheCount() {
            Topics topics = new Topics(prefix, partitions, SchemaRegistries.embedded());
            Set<String> names = new HashSet<>(HandoffTopology.internalTopics(topics));
            Topics.ALL.stream().filter(t -> t.keying() != TopicDef.Keying.REFERENCE).forEach(t -> names.add(topics.name(t)));
            return names;
        }

        private Properties adminProperties() {
            Properties p = new Properties();
            if (commandConfig != null) {
                try (InputStream in = Files.newInputStream(commandConfig)) {
                    p.load(in);
                } catch (IOException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--command-config " + commandConfig
                            + " cannot be read: " + e.getMessage());
                }
            }
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
            // The admin client raises the API timeout to the request timeout (30 s) when it is shorter.
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(timeout.toMillis(), 30_000)));
            return p;
        }

        private void create(Admin admin, List<NewTopic> wanted) throws ExecutionException, InterruptedException, TimeoutException {
            Map<String, Throwable> failures = new LinkedHashMap<>();
            var results = admin.createTopics(wanted, new CreateTopicsOptions().timeoutMs((int) timeout.toMillis())).values();
            for (NewTopic t : wanted) {
                try {
                    results.get(t.name()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    System.out.printf("created  %s (partitions %d%s)%n", t.name(), t.numPartitions(), cleanup(t));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        failures.put(t.name(), e.getCause());
                    }
                }
            }
            if (!failures.isEmpty()) {
                Map.Entry<String, Throwable> first = failures.entrySet().iterator().next();
                throw new IllegalStateException("could not create " + failures.size() + " of " + wanted.size() + " topics, "
                        + first.getKey() + " first: " + first.getValue(), first.getValue());
            }
        }

        /** Every topic must exist now; finding-keyed and internal topics must have exactly {@code --partitions}. */
        private int check(Admin admin, List<NewTopic> wanted) throws ExecutionException, InterruptedException, TimeoutException {
            Map<String, TopicDescription> described = admin.describeTopics(wanted.stream().map(NewTopic::name).toList())
                    .allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Set<String> shared = sharingTheCount();
            List<String> wrong = new ArrayList<>();
            for (NewTopic t : wanted) {
                int actual = described.get(t.name()).partitions().size();
                if (shared.contains(t.name()) && actual != t.numPartitions()) {
                    wrong.add(t.name() + " has " + actual + " partitions, not " + t.numPartitions());
                }
            }
            if (!wrong.isEmpty()) {
                System.err.println("handoff topics: " + String.join("; ", wrong) + ". Finding-keyed topics must share one partition"
                        + " count: pass the count they have as --partitions (and as the streams service's topic.partitions), or"
                        + " recreate them.");
                return WRONG_PARTITIONS;
            }
            System.out.printf("topics:  %d ready with prefix '%s' on %s%n", wanted.size(), prefix, bootstrapServers);
            return 0;
        }

        private static String cleanup(NewTopic t) {
            String policy = t.configs() == null ? null : t.configs().get("cleanup.policy");
            if (policy == null) {
                return "";
            }
            return ", " + policy + ("-1".equals(t.configs().get("retention.ms")) ? ", kept without time limit" : "");
        }
    }
}
