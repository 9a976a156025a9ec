package dev.handoff.ingest.parse;

import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParsedFindingTest {

    @Test
    void targetIsWhatTheAvroBuilderWouldBuild() {
        ParsedFinding.Builder b = ParsedFinding.builder("T").title("t").severity("high", SeverityBand.HIGH);
        b.target().setImage("registry/app:1").setImageDigest("sha256:ab").setPackageName("openssl").setPort(443).setLine(7)
                .setAssetHint("payments");
        assertEquals(b.target().build(), b.build().target());
        assertEquals(FindingTarget.newBuilder().build(), ParsedFinding.builder("T").title("t").severity("x", SeverityBand.LOW)
                .build().target());
    }

    @Test
    void everyTargetFieldDefaultsToNullAsTheConstructorShortcutAssumes() {
        // ParsedFinding builds the target with the all-args constructor, which leaves unset fields null.
        for (Schema.Field f : FindingTarget.getClassSchema().getFields()) {
            assertTrue(f.hasDefaultValue() && GenericData.get().getDefaultValue(f) == null, f.name() + " must default to null");
        }
    }
}
