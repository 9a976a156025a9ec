package dev.handoff.schemas.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaRegistriesTest {

    @TempDir
    Path temp;

    @Test
    void withoutAUrlTheSharedEmbeddedRegistryIsUsed() {
        SchemaRegistry registry = SchemaRegistries.fromConfig(Map.of());

        assertInstanceOf(EmbeddedSchemaRegistry.class, registry);
        assertSame(registry, SchemaRegistries.fromConfig(Map.of()));
        assertSame(registry, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded")));
        assertEquals(Optional.empty(), ((EmbeddedSchemaRegistry) registry).directory());
    }

    @Test
    void embeddedWithADirectoryIsSharedPerDirectory() {
        SchemaRegistry a = SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded:" + temp));
        SchemaRegistry b = SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded://" + temp));
        SchemaRegistry other = SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded:" + temp.resolve("x")));

        assertSame(a, b);
        assertEquals(Optional.of(temp.toAbsolutePath()), ((EmbeddedSchemaRegistry) a).directory());
        assertEquals(Optional.of(temp.resolve("x").toAbsolutePath()), ((EmbeddedSchemaRegistry) other).directory());
    }

    @Test
    void httpUrlsGiveAnHttpClientOfEveryUrl() {
        SchemaRegistry registry = SchemaRegistries.fromConfig(
                Map.of(SchemaRegistries.URL_CONFIG, "http://a:8081, https://b:8081/apis/ccompat/v7/"));

        HttpSchemaRegistry http = assertInstanceOf(HttpSchemaRegistry.class, registry);
        assertEquals(List.of(URI.create("http://a:8081"), URI.create("https://b:8081/apis/ccompat/v7")), http.baseUrls());
    }

    @Test
    void anythingElseIsRejectedNamingTheValueAndTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "mock://scope")));

        assertTrue(e.getMessage().contains("'mock://scope'"), e.getMessage());
        assertTrue(e.getMessage().contains("http://host:port"), e.getMessage());
        assertTrue(e.getMessage().contains("embedded:/some/dir"), e.getMessage());
    }

    @Test
    void anEmbeddedUrlWithAHostIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded://host/dir")));

        assertTrue(e.getMessage().contains("embedded:///some/dir"), e.getMessage());
    }
}
