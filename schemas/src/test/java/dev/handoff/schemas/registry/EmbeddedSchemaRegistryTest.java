package dev.handoff.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.Owner;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSchemaRegistryTest {

    private static final Schema OWNER = Owner.getClassSchema();
    private static final String OWNER_V1 = """
      {"type": "record", "name": "Owner", "namespace": "dev.handoff.avro", "fields": [
        {"name": "owner_id", "type": "string"},
        {"name": "display_name", "type": "string"}
      ]}""";

    @TempDir
    Path temp;

    /** A registry that does not see the released schemas of the main classpath. */
    private static EmbeddedSchemaRegistry isolated(Path dir) {
        return new EmbeddedSchemaRegistry(dir, List.of(), new URLClassLoader(new URL[0], null));
    }

    @Test
    void idsAreTheSameInIndependentInstances() {
        int first = new EmbeddedSchemaRegistry().register("owners-value", OWNER);
        int second = new EmbeddedSchemaRegistry().register("other-topic-value", new Schema.Parser().parse(OWNER.toString()));

        assertEquals(first, second);
        assertEquals(EmbeddedSchemaRegistry.idOf(OWNER), first);
        assertTrue(first > 0);
    }

    @Test
    void theIdIsTheFoldedParsingFingerprint() {
        long fingerprint = SchemaNormalization.parsingFingerprint64(OWNER);
        int expected = (int) (fingerprint ^ (fingerprint >>> 32)) & 0x7fffffff;

        assertEquals(expected == 0 ? 1 : expected, EmbeddedSchemaRegistry.idOf(OWNER));
    }

    @Test
    void registeringAgainReturnsTheSameIdAndDifferentSchemasGetDifferentIds() {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        int owner = registry.register("owners-value", OWNER);

        assertEquals(owner, registry.register("owners-value", OWNER));
        assertNotEquals(owner, registry.register("channels-value", ChannelAddress.getClassSchema()));
    }

    @Test
    void schemasDifferingOnlyInDocumentationShareAnId() {
        Schema documented = new Schema.Parser().parse(OWNER_V1.replace("\"fields\"", "\"doc\": \"v1\", \"fields\""));

        assertEquals(EmbeddedSchemaRegistry.idOf(new Schema.Parser().parse(OWNER_V1)), EmbeddedSchemaRegistry.idOf(documented));
    }

    @Test
    void aRegisteredIdResolvesToItsSchema() {
        EmbeddedSchemaRegistry registry = isolated(null);
        int id = registry.register("owners-value", OWNER);

        assertSame(OWNER, registry.schemaById(id));
    }

    @Test
    void anUnknownIdFailsSayingWhatTheRegistryKnowsAndHowToFixIt() {
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> isolated(null).schemaById(42));

        assertEquals(0, e.status());
        assertTrue(e.getMessage().contains("no schema with id 42"), e.getMessage());
        assertTrue(e.getMessage().contains("schema.registry.url=embedded:/"), e.getMessage());
    }

    @Test
    void preloadedSchemasResolveWithoutRegistration() {
        Schema v1 = new Schema.Parser().parse(OWNER_V1);
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(null, List.of(OWNER, v1), new URLClassLoader(new URL[0], null));

        assertEquals(OWNER, registry.schemaById(EmbeddedSchemaRegistry.idOf(OWNER)));
        assertEquals(v1, registry.schemaById(EmbeddedSchemaRegistry.idOf(v1)));

        Schema channel = ChannelAddress.getClassSchema();
        registry.preload(channel);
        assertEquals(channel, registry.schemaById(EmbeddedSchemaRegistry.idOf(channel)));
    }

    @Test
    void aSharedDirectoryLetsAnotherInstanceResolveARegisteredSchema() throws IOException {
        Path dir = temp.resolve("schemas");
        int id = isolated(dir).register("owners-value", OWNER);

        assertTrue(Files.exists(dir.resolve(id + ".avsc")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve(id + ".avsc")), files.toList(), "no temporary file is left behind");
        }
        EmbeddedSchemaRegistry other = isolated(dir);
        assertEquals(OWNER, other.schemaById(id));
        assertEquals(id, other.register("owners-value", OWNER), "an existing file is accepted");
    }

    @Test
    void aStoredFileThatDoesNotMatchItsIdIsRejected() throws IOException {
        int id = EmbeddedSchemaRegistry.idOf(OWNER);
        Files.writeString(temp.resolve(id + ".avsc"), OWNER_V1);

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
                () -> isolated(temp).schemaById(id));

        assertTrue(e.getMessage().contains("delete the file"), e.getMessage());
    }

    @Test
    void twoSchemasWithTheSameIdAreACollision() {
        Schema[] pair = collidingSchemas();
        assertEquals(EmbeddedSchemaRegistry.idOf(pair[0]), EmbeddedSchemaRegistry.idOf(pair[1]));
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        registry.register("a-value", pair[0]);

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> registry.register("b-value", pair[1]));

        assertTrue(e.getMessage().contains("collision"), e.getMessage());
    }

    @Test
    void releasedSchemasListedInTheCompatIndexArePreloaded() throws IOException {
        Path compat = Files.createDirectories(temp.resolve(EmbeddedSchemaRegistry.COMPAT_RESOURCE_DIR));
        Files.writeString(compat.resolve("index.txt"), "# released versions\n\nOwner-v1.avsc\n", StandardCharsets.UTF_8);
        Files.writeString(compat.resolve("Owner-v1.avsc"), OWNER_V1, StandardCharsets.UTF_8);
        Schema v1 = new Schema.Parser().parse(OWNER_V1);

        try (URLClassLoader loader = new URLClassLoader(new URL[] {temp.toUri().toURL()}, null)) {
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(null, List.of(), loader);

            assertEquals(v1, registry.schemaById(EmbeddedSchemaRegistry.idOf(v1)));
        }
    }

    @Test
    void withoutACompatIndexNothingIsPreloaded() throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {temp.toUri().toURL()}, null)) {
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(null, List.of(), loader);

            assertThrows(SchemaRegistryException.class, () -> registry.schemaById(EmbeddedSchemaRegistry.idOf(OWNER)));
        }
    }

    @Test
    void aCompatIndexNamingAMissingFileFailsNamingIt() throws IOException {
        Path compat = Files.createDirectories(temp.resolve(EmbeddedSchemaRegistry.COMPAT_RESOURCE_DIR));
        Files.writeString(compat.resolve("index.txt"), "Missing-v1.avsc\n", StandardCharsets.UTF_8);

        try (URLClassLoader loader = new URLClassLoader(new URL[] {temp.toUri().toURL()}, null)) {
            SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
                    () -> new EmbeddedSchemaRegistry(null, List.of(), loader));

            assertTrue(e.getMessage().contains("Missing-v1.avsc"), e.getMessage());
        }
    }

    @Test
    void theReleasedSchemasShippedWithThisBuildArePreloaded() throws IOException {
        URL index = EmbeddedSchemaRegistry.class.getClassLoader().getResource(EmbeddedSchemaRegistry.COMPAT_INDEX);
        assumeTrue(index != null, "this build ships no released schemas");
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();

        for (String name : new String(index.openStream().readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
            if (name.isBlank() || name.startsWith("#")) {
                continue;
            }
            try (InputStream in = new URL(index, name.strip()).openStream()) {
                Schema released = new Schema.Parser().parse(in);
                assertEquals(SchemaNormalization.toParsingForm(released),
                        SchemaNormalization.toParsingForm(registry.schemaById(EmbeddedSchemaRegistry.idOf(released))), name);
            }
        }
    }

    /**
     * Two different one-field records whose ids collide. Found once by searching field names f0, f1, …
     * (it took 40 million tries: the fingerprint is linear, so near-identical schemas rarely collide).
     */
    private static Schema[] collidingSchemas() {
        return new Schema[] {oneIntField("f21989420"), oneIntField("f40424000")};
    }

    private static Schema oneIntField(String name) {
        return SchemaBuilder.record("C").fields().requiredInt(name).endRecord();
    }
}
