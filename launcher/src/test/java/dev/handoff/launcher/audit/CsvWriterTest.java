package dev.handoff.launcher.audit;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CsvWriterTest {

    private static String csv(List<List<String>> records) {
        StringWriter out = new StringWriter();
        CsvWriter w = new CsvWriter(out);
        records.forEach(w::row);
        return out.toString();
    }

    @Test
    void plainFieldsAreWrittenAsTheyAreAndEveryRecordEndsWithCrlf() {
        assertEquals("time,stage\r\n2026-11-23T10:00:00Z,CAPTURE\r\n",
                csv(List.of(List.of("time", "stage"), List.of("2026-11-23T10:00:00Z", "CAPTURE"))));
    }

    @Test
    void aFieldWithACommaIsQuoted() {
        assertEquals("a,\"missing=cve,cvss\",b\r\n", csv(List.of(List.of("a", "missing=cve,cvss", "b"))));
    }

    @Test
    void quotesInsideAFieldAreDoubledAndTheFieldQuoted() {
        assertEquals("\"say \"\"hi\"\"\"\r\n", csv(List.of(List.of("say \"hi\""))));
    }

    @Test
    void lineBreaksInsideAFieldAreQuoted() {
        assertEquals("\"one\ntwo\",\"cr\rhere\"\r\n", csv(List.of(List.of("one\ntwo", "cr\rhere"))));
    }

    @Test
    void nullAndEmptyAreEmptyFields() {
        assertEquals(",,x\r\n", csv(List.of(Arrays.asList(null, "", "x"))));
    }

    @Test
    void aRecordWithADifferentFieldCountThanTheFirstIsRefused() {
        StringWriter out = new StringWriter();
        CsvWriter w = new CsvWriter(out).row(List.of("a", "b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.row(List.of("only one")));
        assertEquals("a CSV record needs 2 fields like the header, got 1", e.getMessage());
    }

    @Property
    void anyRecordsReadBackExactlyWithAnRfc4180Reader(@ForAll @Size(max = 8) List<@Size(3) List<String>> records) {
        StringWriter out = new StringWriter();
        CsvWriter w = new CsvWriter(out);
        records.forEach(w::row);
        assertEquals(records, Rfc4180.parse(out.toString()));
    }
}
