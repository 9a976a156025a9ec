package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * OWASP ZAP "traditional" JSON report: the XML report's model in JSON ({@code @programName}, {@code @version},
 * {@code @generated}, {@code created}, {@code site[]} with {@code @name}, {@code @host}, {@code @port},
 * {@code @ssl} and {@code alerts[]}, each alert with {@code pluginid}, {@code alertRef}, {@code alert},
 * {@code riskcode}, {@code confidence}, {@code riskdesc}, {@code desc}, {@code instances[]}, {@code count},
 * {@code solution}, {@code otherinfo}, {@code reference}, {@code cweid}, {@code wascid}, {@code sourceid}).
 * Reports written before ZAP 2.10 by converting the XML report hold a single {@code site} (or alert, or
 * instance) as an object rather than a one-element array: both are read. Values may be strings or numbers.
 *
 * <p>One finding per alert, mapped exactly as {@link ZapXmlParser} does (label from {@code riskdesc}, band
 * from {@code riskcode}: 3 HIGH, 2 MEDIUM, 1 LOW, 0 INFO). {@code created} (ISO-8601) is the detection time.
 * Streaming: alerts are emitted as read, instances beyond the first are skipped; only when a site's
 * {@code @name}/{@code @host} come after its alerts are that site's alerts held until the site ends.
 */
public final class ZapJsonParser implements ReportParser {

    @Override
    public ReportFormat format() {
        return ReportFormat.ZAP_JSON;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = null;
        try {
            p = input.json();
            JsonToken first = p.nextToken();
            if (first == null) {
                throw ItemReading.malformed(p, "not an OWASP ZAP JSON report: the report is empty");
            }
            ItemReading.expectObject(p, "an OWASP ZAP JSON report");
            Header header = new Header();
            while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = ItemReading.nextToken(p);
                switch (field) {
                    case "@version" -> header.version = ItemReading.scalar(p);
                    case "@generated" -> header.generated = ItemReading.scalar(p);
                    case "created" -> header.created = ItemReading.isoInstant(ItemReading.scalar(p));
                    case "site" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                                readSite(p, header, sink);
                            }
                        } else if (value == JsonToken.START_OBJECT) {
                            readSite(p, header, sink);
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw ItemReading.malformed(p, "ZAP report 'site' must be an array of sites");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            ItemReading.finish(p);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        } finally {
            if (p != null) {
                ItemReading.close(p);
            }
        }
    }

    private static final class Header {
        String version;
        String generated;
        Instant created;
    }

    private static void readSite(JsonParser p, Header header, FindingSink sink) throws IOException, ReportException {
        ItemReading.expectObject(p, "a ZAP site");
        String name = null;
        String host = null;
        String port = null;
        String ssl = null;
        List<ZapXmlParser.Alert> held = new ArrayList<>();
        while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = ItemReading.nextToken(p);
            switch (field) {
                case "@name" -> name = ItemReading.scalar(p);
                case "@host" -> host = ItemReading.scalar(p);
                case "@port" -> port = ItemReading.scalar(p);
                case "@ssl" -> ssl = ItemReading.scalar(p);
                case "alerts" -> {
                    if (value == JsonToken.VALUE_NULL) {
                        break;
                    }
                    if (value != JsonToken.START_ARRAY && value != JsonToken.START_OBJECT) {
                        throw ItemReading.malformed(p, "ZAP site 'alerts' must be an array of alerts");
                    }
                    boolean single = value == JsonToken.START_OBJECT;
                    while (single || ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                        ZapXmlParser.Alert alert = readAlert(p);
                        if (name != null || host != null) {
                            sink.accept(toFinding(header, new ZapXmlParser.Site(name, host, port, ssl), alert));
                        } else {
                            held.add(alert); // the site's attributes come later: hold this site's alerts until it ends
                        }
                        if (single) {
                            break;
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        ZapXmlParser.Site site = new ZapXmlParser.Site(name, host, port, ssl);
        for (ZapXmlParser.Alert alert : held) {
            sink.accept(toFinding(header, site, alert));
        }
    }

    private static ParsedFinding toFinding(Header header, ZapXmlParser.Site site, ZapXmlParser.Alert alert) {
        return ZapXmlParser.toFinding(header.version, header.created, header.generated, site, alert);
    }

    private static ZapXmlParser.Alert readAlert(JsonParser p) throws IOException, ReportException {
        ItemReading.expectObject(p, "a ZAP alert");
        ZapXmlParser.Alert a = new ZapXmlParser.Alert();
        while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = ItemReading.nextToken(p);
            if ("instances".equals(field)) {
                if (value == JsonToken.START_ARRAY) {
                    while (ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                        readInstance(p, a);
                    }
                } else if (value == JsonToken.START_OBJECT) {
                    readInstance(p, a);
                } else {
                    p.skipChildren();
                }
            } else {
                String text = ItemReading.scalar(p);
                if (text != null) {
                    a.fields.putIfAbsent(field, text);
                }
            }
        }
        return a;
    }

    private static void readInstance(JsonParser p, ZapXmlParser.Alert a) throws IOException, ReportException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        a.instances++;
        if (a.instances > 1) {
            p.skipChildren();
            return;
        }
        while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            ItemReading.nextToken(p);
            if (!ZapXmlParser.INSTANCE_FIELDS.contains(field)) {
                p.skipChildren();
                continue;
            }
            String text = ItemReading.scalar(p);
            if (text != null) {
                a.instance.putIfAbsent(field, text);
            }
        }
    }
}
