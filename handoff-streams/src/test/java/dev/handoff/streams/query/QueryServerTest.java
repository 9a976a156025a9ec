package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's behaviour before Kafka Streams is attached, and its error format, without a broker. */
class QueryServerTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();
    private QueryServer server;

    @BeforeEach
    void start() {
        server = QueryServer.start("localhost", 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void portZeroPicksAFreePort() {
        assertTrue(server.port() > 0);
    }

    @Test
    void healthIs503UntilStreamsIsAttached() throws Exception {
        HttpResponse<String> r = get("/health");
        assertEquals(503, r.statusCode());
        assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
        JsonNode body = mapper.readTree(r.body());
        assertEquals("DOWN", body.get("status").asText());
        assertEquals("NOT_STARTED", body.get("streams_state").asText());
    }

    @Test
    void queriesBeforeAttachAre503JsonWithRetryAfter() throws Exception {
        for (String path : new String[] {"/findings/f1-abc", "/queues/unrouted", "/owners/u-ana/open", "/internal/queues/unrouted"}) {
            HttpResponse<String> r = get(path);
            assertEquals(503, r.statusCode(), path);
            assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), path);
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path);
            assertTrue(mapper.readTree(r.body()).get("error").asText().contains("not attached"), r.body());
        }
    }

    @Test
    void unknownRoutesAndMethodsAreJsonErrorsNotHtml() throws Exception {
        HttpResponse<String> missing = get("/no/such/route");
        assertEquals(404, missing.statusCode());
        assertTrue(mapper.readTree(missing.body()).get("error").asText().contains("/no/such/route"), missing.body());

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/health")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(post.statusCode() == 404 || post.statusCode() == 405, "status " + post.statusCode());
        assertTrue(mapper.readTree(post.body()).has("error"), post.body());
    }

    @Test
    void requestsJettyCannotParseAreJsonErrorsToo() throws Exception {
        try (Socket socket = new Socket("localhost", server.port())) {
            socket.getOutputStream().write("GET /findings/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String raw = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(raw.startsWith("HTTP/1.1 400"), raw);
            assertTrue(raw.contains("Content-Type: application/json"), raw);
            String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
            assertTrue(mapper.readTree(body).get("error").asText().startsWith("malformed request (HTTP 400)"), body);
        }
    }

    @Test
    void aSecondServerOnABusyPortFailsWithTheAddressInTheMessage() {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> QueryServer.start("localhost", server.port()));
        assertTrue(e.getMessage().contains("localhost:" + server.port()), e.getMessage());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + server.port() + path);
    }
}
