package dev.handoff.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.CvssScore;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.ingest.parse.ParsedFinding;

/**
 * One normalised finding as a JSON object, with the stable field names the README documents (the CLI's
 * NDJSON output). Absent values are left out rather than written as null.
 */
public final class FindingJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private FindingJson() {
    }

    public static ObjectNode of(ParsedFinding f, String findingId) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("finding_id", findingId);
        o.put("tool", f.tool());
        put(o, "tool_version", f.toolVersion());
        ArrayNode ids = o.putArray("ids");
        for (VulnerabilityId id : f.ids()) {
            ids.addObject().put("kind", id.getKind().name()).put("id", id.getId());
        }
        ArrayNode cwes = o.putArray("cwes");
        f.cwes().forEach(cwes::add);
        o.put("title", f.title());
        put(o, "description", f.description());
        o.put("severity_label", f.severityLabel());
        o.put("band", f.band().name());
        ArrayNode cvss = o.putArray("cvss");
        for (CvssScore c : f.cvss()) {
            ObjectNode n = cvss.addObject().put("version", c.getVersion());
            put(n, "vector", c.getVector());
            if (c.getBaseScore() != null) {
                n.put("score", c.getBaseScore());
            }
            put(n, "source", c.getSource());
        }
        ObjectNode target = o.putObject("target");
        FindingTarget t = f.target();
        put(target, "host", t.getHost());
        put(target, "ip", t.getIp());
        if (t.getPort() != null) {
            target.put("port", t.getPort());
        }
        put(target, "protocol", t.getProtocol());
        put(target, "image", t.getImage());
        put(target, "image_tag", t.getImageTag());
        put(target, "image_digest", t.getImageDigest());
        put(target, "repository", t.getRepository());
        put(target, "file_path", t.getFilePath());
        if (t.getLine() != null) {
            target.put("line", t.getLine());
        }
        put(target, "package_purl", t.getPackagePurl());
        put(target, "package_name", t.getPackageName());
        put(target, "package_version", t.getPackageVersion());
        put(target, "url", t.getUrl());
        put(target, "cloud_resource", t.getCloudResource());
        put(target, "asset_hint", t.getAssetHint());
        if (f.detectedAt() != null) {
            o.put("detected_at", f.detectedAt().toString());
        }
        put(o, "fixed_version", f.fixedVersion());
        ArrayNode refs = o.putArray("references");
        f.references().forEach(refs::add);
        ObjectNode attrs = o.putObject("attributes");
        f.attributes().forEach(attrs::put);
        return o;
    }

    public static String line(ParsedFinding f, String findingId) {
        try {
            return MAPPER.writeValueAsString(of(f, findingId));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void put(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }
}
