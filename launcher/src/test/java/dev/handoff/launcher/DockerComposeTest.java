package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.handoff.alerter.AlerterMain;
import dev.handoff.ingest.intake.IntakeMain;
import dev.handoff.schemas.ServiceConfig;
import dev.handoff.streams.HandoffStreamsMain;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docker-compose.yml}, read as data: what it builds exists, what it runs is a main class of the reactor, every
 * {@code HANDOFF_*} variable it sets is a documented setting of the service it is set on, and what must agree does
 * (the acknowledgement-link secret, the Kafka version, the topic prefix and partition count). {@code docker compose
 * config} in {@code .ci/run} checks the file against Compose's own schema.
 */
class DockerComposeTest {

    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)([:]?[-?+][^}]*)?}");
    private static final Pattern REQUIRED_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*):\\?[^}]+}");
    private static final String SENTINEL = "\u0000set-by-the-test";

    private static Path root;
    private static JsonNode services;

    /** How each Java service turns its environment into settings, and where its settings are documented. */
    private record Service(Function<String, String> keyOf, String docs, boolean passesOtherKeysToKafkaStreams) {
    }

    private static Map<String, Service> javaServices;

    @BeforeAll
    static void readComposeFile() throws IOException {
        root = repositoryRoot();
        services = new ObjectMapper(new YAMLFactory()).readTree(root.resolve("docker-compose.yml").toFile()).path("services");
        assertTrue(services.isObject() && services.size() > 0, "docker-compose.yml has no services");
        String readme = Files.readString(root.resolve("README.md"));
        Function<String, String> serviceConfig = name -> ServiceConfig.layered(Map.of(), Map.of(), Map.of(name, SENTINEL)).keySet()
                .stream().findFirst().orElse(null);
        Function<String, String> streamsSettings = name -> StreamsSettings.from(Map.of(), Map.of(name, SENTINEL)).asMap().entrySet()
                .stream().filter(e -> e.getValue().equals(SENTINEL)).map(Map.Entry::getKey).findFirst().orElse(null);
        javaServices = Map.of(
                IntakeMain.class.getName(), new Service(serviceConfig, section(readme, "### HTTP intake"), false),
                AlerterMain.class.getName(), new Service(serviceConfig, Files.readString(root.resolve("docs/alerter.md")), false),
                HandoffStreamsMain.class.getName(), new Service(streamsSettings, section(readme, "## handoff-streams"), true));
    }

    @Test
    void everyServiceHasAnImageOrADockerfileThatExists() {
        List<String> problems = new ArrayList<>();
        services.properties().forEach(e -> {
            String name = e.getKey();
            JsonNode s = e.getValue();
            JsonNode build = s.path("build");
            if (build.isMissingNode()) {
                if (s.path("image").asText("").isBlank()) {
                    problems.add(name + ": neither image nor build");
                }
                return;
            }
            Path context = root.resolve(build.isTextual() ? build.asText() : build.path("context").asText("."));
            Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile"));
            if (!Files.isRegularFile(dockerfile)) {
                problems.add(name + ": Dockerfile " + root.relativize(dockerfile) + " does not exist");
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void everyBuiltServiceRunsAMainClassOfItsModuleWhoseRuntimeThePackagePhaseCopies() throws IOException {
        String rootPom = Files.readString(root.resolve("pom.xml"));
        List<String> problems = new ArrayList<>();
        Set<String> mainClasses = new TreeSet<>();
        for (Map.Entry<String, JsonNode> e : built()) {
            String name = e.getKey();
            JsonNode args = e.getValue().path("build").path("args");
            String module = args.path("MODULE").asText("");
            String mainClass = args.path("MAIN_CLASS").asText("");
            if (module.isBlank() || mainClass.isBlank()) {
                problems.add(name + ": build args MODULE and MAIN_CLASS are required by docker/Dockerfile");
                continue;
            }
            mainClasses.add(mainClass);
            if (!rootPom.contains("<module>" + module + "</module>")) {
                problems.add(name + ": " + module + " is not a module of the root pom");
            }
            Path source = root.resolve(module).resolve("src/main/java").resolve(mainClass.replace('.', '/') + ".java");
            if (!Files.isRegularFile(source)) {
                problems.add(name + ": " + root.relativize(source) + " does not exist");
            } else if (!Files.readString(source).contains("public static void main(String[] args)")) {
                problems.add(name + ": " + mainClass + " has no main method");
            }
            // docker/Dockerfile copies <module>/target/lib: the module's package phase must fill it.
            String pom = Files.readString(root.resolve(module).resolve("pom.xml"));
            if (!pom.contains("<goal>copy-dependencies</goal>") || !pom.contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>")) {
                problems.add(name + ": " + module + "/pom.xml does not copy its runtime classpath to target/lib");
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(new TreeSet<>(List.of(IntakeMain.class.getName(), HandoffStreamsMain.class.getName(),
                AlerterMain.class.getName(), HandoffCli.class.getName())), mainClasses, "the three services and the topics step");
    }

    @Test
    void everyHandoffVariableIsADocumentedSettingOfItsService() throws IOException {
        String entrypoint = Files.readString(root.resolve("docker/entrypoint.sh")) + Files.readString(root.resolve("docker/logback.xml"));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : built()) {
            String name = e.getKey();
            Service service = javaServices.get(e.getValue().path("build").path("args").path("MAIN_CLASS").asText());
            List<Pattern> documented = service == null ? List.of() : documentedKeys(service.docs());
            for (String variable : environment(e.getValue()).keySet()) {
                if (!variable.startsWith("HANDOFF_") && !variable.startsWith("KAFKA_")) {
                    if (!entrypoint.contains("${" + variable)) {
                        problems.add(name + ": " + variable + " is read neither by a service nor by docker/entrypoint.sh");
                    }
                    continue;
                }
                if (service == null) {
                    problems.add(name + ": " + variable + " is set, but this service takes command-line options, not settings");
                    continue;
                }
                String key = service.keyOf().apply(variable);
                if (key == null) {
                    problems.add(name + ": " + variable + " is ignored by the service (only KAFKA_BOOTSTRAP_SERVERS and HANDOFF_* are read)");
                } else if (documented.stream().noneMatch(p -> p.matcher(key).matches())
                        && !(service.passesOtherKeysToKafkaStreams() && StreamsConfig.configDef().names().contains(key))) {
                    problems.add(name + ": " + variable + " sets '" + key + "', which its documentation does not name");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void intakeAndAlerterSignAcknowledgementLinksWithTheSameRequiredVariable() {
        String intake = environmentOf(IntakeMain.class).get("HANDOFF_INTAKE_ACK_SECRET");
        String alerter = environmentOf(AlerterMain.class).get("HANDOFF_ALERTER_ACK_SECRET");
        assertNotNull(intake, "the intake has no HANDOFF_INTAKE_ACK_SECRET");
        assertNotNull(alerter, "the alerter has no HANDOFF_ALERTER_ACK_SECRET");
        Matcher i = REQUIRED_VARIABLE.matcher(intake);
        Matcher a = REQUIRED_VARIABLE.matcher(alerter);
        assertTrue(i.matches(), "HANDOFF_INTAKE_ACK_SECRET must be one required variable, ${NAME:?message}, was " + intake);
        assertTrue(a.matches(), "HANDOFF_ALERTER_ACK_SECRET must be one required variable, ${NAME:?message}, was " + alerter);
        assertEquals(i.group(1), a.group(1), "links the alerter signs must be links the intake accepts");
    }

    @Test
    void theKafkaImageIsThePomsKafkaVersion() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document pom = factory.newDocumentBuilder().parse(root.resolve("pom.xml").toFile());
        String kafkaVersion = pom.getElementsByTagName("kafka.version").item(0).getTextContent().strip();
        List<String> kafkaImages = new ArrayList<>();
        services.forEach(s -> {
            String image = s.path("image").asText("");
            if (image.startsWith("apache/kafka:") || image.startsWith("apache/kafka-native:")) {
                kafkaImages.add(image);
            }
        });
        assertEquals(List.of("apache/kafka:" + kafkaVersion), kafkaImages);
    }

    @Test
    void theTopicsStepAndTheServicesAgreeOnPrefixAndPartitions() {
        JsonNode topics = builtWith(HandoffCli.class).path("command");
        List<String> command = new ArrayList<>();
        topics.forEach(a -> command.add(a.asText()));
        assertEquals(List.of("topics", "create"), command.subList(0, 2), "the topics step runs ./handoff topics create");
        String prefix = command.get(command.indexOf("--topic-prefix") + 1);
        String partitions = command.get(command.indexOf("--partitions") + 1);
        for (Class<?> main : List.of(IntakeMain.class, HandoffStreamsMain.class, AlerterMain.class)) {
            assertEquals(prefix, environmentOf(main).get("HANDOFF_TOPIC_PREFIX"), main.getSimpleName() + "'s topic prefix");
        }
        assertEquals(partitions, environmentOf(HandoffStreamsMain.class).get("HANDOFF_TOPIC_PARTITIONS"), "the streams partition count");
    }

    @Test
    void theServicesStartOnlyAfterTheTopicsStepSucceeded() {
        String topicsStep = built().stream().filter(e -> HandoffCli.class.getName()
                .equals(e.getValue().path("build").path("args").path("MAIN_CLASS").asText())).findFirst().orElseThrow().getKey();
        for (Class<?> main : List.of(IntakeMain.class, HandoffStreamsMain.class, AlerterMain.class)) {
            assertEquals("service_completed_successfully", builtWith(main).path("depends_on").path(topicsStep).path("condition").asText(),
                    main.getSimpleName() + " must wait for the topics step");
        }
    }

    @Test
    void envExampleDocumentsEveryVariableTheComposeFileReads() throws IOException {
        String compose = Files.readString(root.resolve("docker-compose.yml"));
        Map<String, String> example = new LinkedHashMap<>();
        for (String line : Files.readAllLines(root.resolve(".env.example"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                example.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        List<String> problems = new ArrayList<>();
        Matcher m = INTERPOLATION.matcher(compose);
        Set<String> seen = new HashSet<>();
        while (m.find()) {
            String variable = m.group(1);
            boolean required = m.group(2) != null && m.group(2).startsWith(":?");
            if (!example.containsKey(variable)) {
                if (seen.add(variable)) {
                    problems.add(variable + " is read by docker-compose.yml but not in .env.example");
                }
            } else if (required && example.get(variable).isEmpty() && seen.add(variable)) {
                // .ci/run checks the compose file with --env-file .env.example: required values need an example.
                problems.add(variable + " is required but empty in .env.example");
            }
        }
        assertEquals(List.of(), problems);
        assertFalse(example.isEmpty());
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docker-compose.yml")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no docker-compose.yml above " + Path.of("").toAbsolutePath());
    }

    private static List<Map.Entry<String, JsonNode>> built() {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        services.properties().forEach(e -> {
            if (e.getValue().has("build")) {
                out.add(e);
            }
        });
        return out;
    }

    private static JsonNode builtWith(Class<?> mainClass) {
        return built().stream().map(Map.Entry::getValue)
                .filter(s -> mainClass.getName().equals(s.path("build").path("args").path("MAIN_CLASS").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no service runs " + mainClass.getName()));
    }

    private static Map<String, String> environmentOf(Class<?> mainClass) {
        return environment(builtWith(mainClass));
    }

    /** A service's environment, written as a map or as a list of NAME=value. */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = service.path("environment");
        if (e.isObject()) {
            e.properties().forEach(v -> env.put(v.getKey(), v.getValue().isNull() ? null : v.getValue().asText()));
        } else if (e.isArray()) {
            e.forEach(item -> {
                String s = item.asText();
                int eq = s.indexOf('=');
                env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
            });
        }
        return env;
    }

    /** From a heading line to the next heading of the same or a higher level. */
    private static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertTrue(start >= 0, "README.md has no '" + heading + "' section");
        int next = markdown.indexOf("\n## ", start + heading.length() + 1);
        return markdown.substring(start, next < 0 ? markdown.length() : next);
    }

    /**
     * The setting keys a document names in backticks, as patterns: {@code <name>} and {@code *} stand for any name,
     * and a key written {@code .suffix} after another on the same line shares its prefix
     * ({@code alerter.calendar.zone} / {@code .work-days}).
     */
    static List<Pattern> documentedKeys(String doc) {
        List<Pattern> keys = new ArrayList<>();
        Pattern code = Pattern.compile("`([^`]+)`");
        for (String line : doc.split("\n")) {
            String base = null;
            Matcher m = code.matcher(line);
            while (m.find()) {
                String token = m.group(1);
                int eq = token.indexOf('=');
                token = (eq < 0 ? token : token.substring(0, eq)).strip().replaceAll("<[^>]*>", "\u0001");
                if (token.startsWith(".") && base != null) {
                    token = base + token.substring(1);
                }
                if (!token.matches("[a-z\u0001][a-z0-9.\u0001*-]*") || !token.contains(".")) {
                    continue;
                }
                base = token.substring(0, token.lastIndexOf('.') + 1);
                List<String> literals = Arrays.stream(token.split("[\u0001*]", -1)).map(Pattern::quote).toList();
                keys.add(Pattern.compile(String.join("[a-z0-9.-]+", literals)));
            }
        }
        return keys;
    }
}
