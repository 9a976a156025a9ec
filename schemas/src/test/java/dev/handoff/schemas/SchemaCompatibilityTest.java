package dev.handoff.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema evolution guard: every current schema must read data written with every released
 * version kept under {@code schemas/compat/} (Avro backward compatibility). A change that breaks a
 * consumer of the log fails here, before it ships.
 */
class SchemaCompatibilityTest {

    private static final String COMPAT = "/dev/handoff/schemas/compat/";

    @TestFactory
    Stream<DynamicTest> currentSchemaReadsEveryReleasedVersion() throws IOException {
        Map<String, List<Schema>> released = releasedVersions();
        return HandoffSchemas.RECORD_TYPES.stream().map(type -> DynamicTest.dynamicTest(type.getSimpleName(), () -> {
            Schema current = HandoffSchemas.schemaOf(type);
            List<Schema> versions = released.get(current.getFullName());
            assertNotNull(versions, "no released version of " + current.getFullName() + " under schemas/compat/: "
                    + "add " + type.getSimpleName() + ".v1.avsc (the schema as first released) and list it in index.txt");
            for (Schema old : versions) {
                SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
                assertEquals(SchemaCompatibilityType.COMPATIBLE, result.getType(),
                        () -> type.getSimpleName() + " can no longer read data written with a released version: "
                                + result.getResult().getIncompatibilities() + ". Give new fields a default; never remove "
                                + "a field without a default or change its type incompatibly.");
            }
        }));
    }

    @Test
    void everyReleasedVersionBelongsToACurrentRecord() throws IOException {
        List<String> current = HandoffSchemas.currentSchemas().stream().map(Schema::getFullName).toList();
        for (String name : releasedVersions().keySet()) {
            assertTrue(current.contains(name), name + " is kept under schemas/compat/ but is no longer in HandoffSchemas");
        }
    }

    /** The guard itself must be able to fail: a required field added without a default breaks old data. */
    @Test
    void guardRejectsANewFieldWithoutDefault() {
        Schema current = HandoffSchemas.schemaOf(dev.handoff.avro.Owner.class);
        String json = current.toString().replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"cost_centre\",\"type\":\"string\"},");
        Schema broken = new Schema.Parser().parse(json);
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE,
                SchemaCompatibility.checkReaderWriterCompatibility(broken, current).getType());
        String withDefault = current.toString().replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"cost_centre\",\"type\":\"string\",\"default\":\"none\"},");
        assertEquals(SchemaCompatibilityType.COMPATIBLE,
                SchemaCompatibility.checkReaderWriterCompatibility(new Schema.Parser().parse(withDefault), current).getType());
    }

    @Test
    void everyRecordAndFieldIsDocumented() {
        List<String> missing = new ArrayList<>();
        for (Class<? extends SpecificRecord> type : HandoffSchemas.RECORD_TYPES) {
            collectMissingDocs(HandoffSchemas.schemaOf(type), missing, new java.util.HashSet<>());
        }
        assertTrue(missing.isEmpty(), "schema elements without a doc: " + missing);
    }

    @Test
    void everyRecordCarriesTheEventEnvelope() {
        for (Schema s : HandoffSchemas.currentSchemas()) {
            for (String field : List.of("event_id", "event_time", "recorded_time", "source")) {
                assertNotNull(s.getField(field), s.getName() + " lacks " + field);
            }
            assertEquals("timestamp-millis", s.getField("event_time").schema().getLogicalType().getName());
            assertEquals("timestamp-millis", s.getField("recorded_time").schema().getLogicalType().getName());
        }
    }

    private static void collectMissingDocs(Schema s, List<String> missing, java.util.Set<String> seen) {
        switch (s.getType()) {
            case RECORD -> {
                if (!seen.add(s.getFullName())) {
                    return;
                }
                if (blank(s.getDoc())) {
                    missing.add(s.getFullName());
                }
                for (Schema.Field f : s.getFields()) {
                    if (blank(f.doc())) {
                        missing.add(s.getName() + "." + f.name());
                    }
                    collectMissingDocs(f.schema(), missing, seen);
                }
            }
            case ENUM -> {
                if (seen.add(s.getFullName()) && blank(s.getDoc())) {
                    missing.add(s.getFullName());
                }
            }
            case UNION -> s.getTypes().forEach(t -> collectMissingDocs(t, missing, seen));
            case ARRAY -> collectMissingDocs(s.getElementType(), missing, seen);
            case MAP -> collectMissingDocs(s.getValueType(), missing, seen);
            default -> { }
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static Map<String, List<Schema>> releasedVersions() throws IOException {
        Map<String, List<Schema>> byName = new LinkedHashMap<>();
        for (String file : resource("index.txt").lines().map(String::trim).filter(l -> !l.isEmpty()).toList()) {
            Schema schema = new Schema.Parser().parse(resource(file));
            byName.computeIfAbsent(schema.getFullName(), k -> new ArrayList<>()).add(schema);
        }
        return byName;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SchemaCompatibilityTest.class.getResourceAsStream(COMPAT + name)) {
            assertNotNull(in, "missing resource " + COMPAT + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
