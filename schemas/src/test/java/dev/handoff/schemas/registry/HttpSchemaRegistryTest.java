package dev.handoff.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.Owner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpSchemaRegistryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA = Owner.getClassSchema();
    private static final String SUBJECT = "handoff.owners-value";

    private FakeConfluentRegistry fake;

    @BeforeEach
    void startFake() throws IOException {
        fake = new FakeConfluentRegistry();
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    /** A client of the fake with a back-off of about a millisecond, so retry tests take no time. */
    private SchemaRegistry client(String urls, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(SchemaRegistries.URL_CONFIG, urls);
        config.put(SchemaRegistries.RETRY_BACKOFF_MS_CONFIG, 1);
        config.put(SchemaRegistries.RETRY_BACKOFF_MAX_MS_CONFIG, "2");
        config.putAll(extra);
        SchemaRegistry registry = SchemaRegistries.fromConfig(config);
        assertInstanceOf(HttpSchemaRegistry.class, registry);
        return registry;
    }

    private SchemaRegistry client() {
        return client(fake.url(), Map.of());
    }

    @Test
    void registerSendsTheDocumentedRequestAndReturnsTheId() throws IOException {
        int id = client().register(SUBJECT, SCHEMA);

        assertEquals(100, id);
        FakeConfluentRegistry.Request request = fake.requests().get(0);
        assertEquals("POST", request.method());
        assertEquals("/subjects/handoff.owners-value/versions", request.rawPath());
        assertEquals("application/vnd.schemaregistry.v1+json", request.contentType());
        assertEquals("application/vnd.schemaregistry.v1+json, application/json", request.accept());
        assertNull(request.authorization());
        JsonNode body = JSON.readTree(request.body());
        assertEquals(new Schema.Parser().parse(body.get("schema").asText()), SCHEMA);
    }

    @Test
    void subjectIsUrlEncodedInThePath() {
        client().register("odd topic/ä+x-value", SCHEMA);

        assertEquals("/subjects/odd%20topic%2F%C3%A4%2Bx-value/versions", fake.requests().get(0).rawPath());
    }

    @Test
    void trailingSlashOfTheBaseUrlIsIgnored() {
        client(fake.url() + "/", Map.of()).register(SUBJECT, SCHEMA);

        assertEquals("/subjects/handoff.owners-value/versions", fake.requests().get(0).rawPath());
    }

    @Test
    void secondRegisterOfTheSameSchemaUnderTheSameSubjectSendsNothing() {
        SchemaRegistry client = client();
        int first = client.register(SUBJECT, SCHEMA);
        int second = client.register(SUBJECT, new Schema.Parser().parse(SCHEMA.toString()));

        assertEquals(first, second);
        assertEquals(1, fake.requests().size());

        client.register("other-value", SCHEMA);
        assertEquals(2, fake.requests().size(), "another subject is a separate registration");
    }

    @Test
    void lookupFetchesTheSchemaOnceAndCachesIt() {
        int id = fake.store(SCHEMA);
        SchemaRegistry client = client();

        assertEquals(SCHEMA, client.schemaById(id));
        assertEquals(SCHEMA, client.schemaById(id));

        assertEquals(1, fake.requests().size());
        assertEquals("GET", fake.requests().get(0).method());
        assertEquals("/schemas/ids/" + id, fake.requests().get(0).rawPath());
    }

    @Test
    void lookupOfAnIdThisClientRegisteredSendsNothing() {
        SchemaRegistry client = client();
        int id = client.register(SUBJECT, SCHEMA);

        assertEquals(SCHEMA, client.schemaById(id));
        assertEquals(1, fake.requests().size());
    }

    @Test
    void concurrentRegistrationsOfOneSchemaShareOneRequest() throws Exception {
        fake.delayEveryReply(100);
        SchemaRegistry client = client();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ids.add(threads.submit(() -> {
                    start.await();
                    return client.register(SUBJECT, SCHEMA);
                }));
            }
            start.countDown();
            for (Future<Integer> id : ids) {
                assertEquals(100, id.get());
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, fake.requests().size());
    }

    @Test
    void unknownSchemaIdFailsAtOnceWith404And40403() {
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().schemaById(7));

        assertEquals(404, e.status());
        assertEquals(40403, e.errorCode());
        assertEquals(1, fake.requests().size(), "a 404 is not retried");
        assertTrue(e.getMessage().contains("has no schema with id 7"), e.getMessage());
        assertTrue(e.getMessage().contains("404 schema not found (error_code 40403)"), e.getMessage());
        assertTrue(e.getMessage().contains("schema.registry.url"), e.getMessage());
    }

    @Test
    void subjectNotFoundFailsAtOnceWith404And40401() {
        fake.thenReply(404, FakeConfluentRegistry.error(40401, "Subject 'handoff.owners-value' not found."));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().register(SUBJECT, SCHEMA));

        assertEquals(404, e.status());
        assertEquals(40401, e.errorCode());
        assertEquals(1, fake.requests().size());
        assertTrue(e.getMessage().contains("404 subject not found (error_code 40401): Subject 'handoff.owners-value'"
                + " not found."), e.getMessage());
    }

    @Test
    void incompatibleSchemaFailsAtOnceWithAMessageSayingHowToFixIt() {
        fake.thenReply(409, FakeConfluentRegistry.error(409, "Schema being registered is incompatible with an earlier schema"));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().register(SUBJECT, SCHEMA));

        assertEquals(409, e.status());
        assertEquals(409, e.errorCode());
        assertEquals(1, fake.requests().size(), "a 409 is not retried");
        assertTrue(e.getMessage().startsWith("schema registry at " + fake.url() + " rejected schema for subject '"
                + SUBJECT + "': 409 incompatible with an earlier version (error_code 409): Schema being registered is"
                + " incompatible with an earlier schema."), e.getMessage());
        assertTrue(e.getMessage().contains("default"), e.getMessage());
    }

    @Test
    void aRejectedRegistrationIsNotCachedSoTheNextCallTriesAgain() {
        fake.thenReply(409, FakeConfluentRegistry.error(409, "incompatible"));
        SchemaRegistry client = client();
        assertThrows(SchemaRegistryException.class, () -> client.register(SUBJECT, SCHEMA));

        assertEquals(100, client.register(SUBJECT, SCHEMA));
        assertEquals(2, fake.requests().size());
    }

    @Test
    void invalidSchemaFailsAtOnceWith422() {
        fake.thenReply(422, FakeConfluentRegistry.error(42201, "Invalid schema"));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().register(SUBJECT, SCHEMA));

        assertEquals(422, e.status());
        assertEquals(42201, e.errorCode());
        assertEquals(1, fake.requests().size());
        assertTrue(e.getMessage().contains("422 invalid schema (error_code 42201)"), e.getMessage());
    }

    @Test
    void serverErrorsAreRetriedUntilTheRegistryAnswers() {
        fake.thenReply(500, FakeConfluentRegistry.error(50001, "Error in the backend data store"))
                .thenReply(500, FakeConfluentRegistry.error(50001, "Error in the backend data store"));

        assertEquals(100, client().register(SUBJECT, SCHEMA));
        assertEquals(3, fake.requests().size());
    }

    @Test
    void tooManyRequestsIsRetried() {
        fake.thenReply(429, "");

        assertEquals(100, client().register(SUBJECT, SCHEMA));
        assertEquals(2, fake.requests().size());
    }

    @Test
    void aRegistryThatStaysUnavailableFailsAfterMaxAttempts() {
        fake.alwaysReply(503, "<html>Service Unavailable</html>");

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().register(SUBJECT, SCHEMA));

        assertEquals(4, fake.requests().size(), "default max attempts");
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("gave up after 4 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("503 server error"), e.getMessage());
        assertTrue(e.getMessage().contains("Service Unavailable"), e.getMessage());
        assertTrue(e.getMessage().contains("schema.registry.max.attempts"), e.getMessage());
    }

    @Test
    void maxAttemptsIsConfigurable() {
        fake.alwaysReply(500, "");

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
                () -> client(fake.url(), Map.of(SchemaRegistries.MAX_ATTEMPTS_CONFIG, "2")).schemaById(1));

        assertEquals(2, fake.requests().size());
        assertTrue(e.getMessage().contains("gave up after 2 attempts"), e.getMessage());
    }

    @Test
    void aRequestThatTimesOutIsRetried() {
        CountDownLatch held = fake.holdFirstRequest();
        try {
            SchemaRegistry client = client(fake.url(), Map.of(SchemaRegistries.REQUEST_TIMEOUT_MS_CONFIG, 300));

            assertEquals(100, client.register(SUBJECT, SCHEMA));
            assertEquals(2, fake.requests().size());
        } finally {
            held.countDown();
        }
    }

    @Test
    void connectionRefusedOnTheFirstUrlFailsOverToTheNext() throws IOException {
        String dead = "http://127.0.0.1:" + closedPort();
        SchemaRegistry client = client(dead + ", " + fake.url(), Map.of());

        assertEquals(100, client.register(SUBJECT, SCHEMA));
        fake.store(SchemaBuilder.record("dev.handoff.avro.Other").fields().requiredInt("n").endRecord());
        assertEquals(SCHEMA, client.schemaById(100));
        assertEquals(1, fake.requests().size(), "the lookup was answered from the cache");
        assertEquals("Other", client.schemaById(101).getName());
        assertEquals(2, fake.requests().size());
    }

    @Test
    void noReachableUrlFailsAfterMaxAttemptsSayingWhy() throws IOException {
        String dead = "http://127.0.0.1:" + closedPort();
        SchemaRegistry client = client(dead, Map.of(SchemaRegistries.MAX_ATTEMPTS_CONFIG, 3));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.register(SUBJECT, SCHEMA));

        assertEquals(0, e.status());
        assertTrue(e.getMessage().contains("gave up after 3 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot connect to " + dead), e.getMessage());
    }

    @Test
    void basicAuthCredentialsAreSent() {
        client(fake.url(), Map.of(SchemaRegistries.BASIC_AUTH_USER_INFO_CONFIG, "user:pass")).register(SUBJECT, SCHEMA);

        assertEquals("Basic dXNlcjpwYXNz", fake.requests().get(0).authorization());
    }

    @Test
    void unauthorizedWithoutCredentialsSaysToConfigureThem() {
        fake.thenReply(401, FakeConfluentRegistry.error(401, "Unauthorized"));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().register(SUBJECT, SCHEMA));

        assertEquals(401, e.status());
        assertEquals(1, fake.requests().size(), "a 401 is not retried");
        assertTrue(e.getMessage().contains("set basic.auth.user.info=user:password"), e.getMessage());
    }

    @Test
    void forbiddenWithCredentialsSaysToCheckThem() {
        fake.thenReply(403, FakeConfluentRegistry.error(40301, "User is denied operation Write on Subject"));
        SchemaRegistry client = client(fake.url(), Map.of(SchemaRegistries.BASIC_AUTH_USER_INFO_CONFIG, "user:wrong"));

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.register(SUBJECT, SCHEMA));

        assertEquals(403, e.status());
        assertEquals(1, fake.requests().size());
        assertTrue(e.getMessage().contains("Check the credentials in basic.auth.user.info"), e.getMessage());
    }

    @Test
    void aNonAvroSchemaIdIsRejected() {
        fake.thenReply(200, "{\"schema\":\"syntax = \\\"proto3\\\";\",\"schemaType\":\"PROTOBUF\"}");

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().schemaById(3));

        assertTrue(e.getMessage().contains("is a PROTOBUF schema, not Avro"), e.getMessage());
    }

    @Test
    void anAnswerThatIsNotJsonIsReportedWithItsBody() {
        fake.thenReply(200, "<html>proxy login</html>");

        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client().schemaById(3));

        assertTrue(e.getMessage().contains("<html>proxy login</html>"), e.getMessage());
    }

    @Test
    void invalidSettingsAreRejectedWithTheirName() {
        IllegalArgumentException badUserInfo = assertThrows(IllegalArgumentException.class,
                () -> client(fake.url(), Map.of(SchemaRegistries.BASIC_AUTH_USER_INFO_CONFIG, "no-colon")));
        assertTrue(badUserInfo.getMessage().contains("basic.auth.user.info"), badUserInfo.getMessage());

        IllegalArgumentException badNumber = assertThrows(IllegalArgumentException.class,
                () -> client(fake.url(), Map.of(SchemaRegistries.MAX_ATTEMPTS_CONFIG, "many")));
        assertTrue(badNumber.getMessage().contains("schema.registry.max.attempts"), badNumber.getMessage());

        IllegalArgumentException badUrl = assertThrows(IllegalArgumentException.class,
                () -> client(fake.url() + ",http://", Map.of()));
        assertTrue(badUrl.getMessage().contains("http://host:port"), badUrl.getMessage());
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
