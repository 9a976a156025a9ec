package dev.handoff.alerter;

import com.sun.net.httpserver.HttpServer;
import dev.handoff.alerter.channel.Channel;
import dev.handoff.avro.ChannelType;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;

/**
 * The sla-alerter service: the {@link Dispatcher} with its channels, and a small HTTP server for {@code /metrics}
 * (Prometheus text) and {@code /health}.
 */
public final class Alerter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Alerter.class);

    private final Dispatcher dispatcher;
    private final PrometheusMeterRegistry registry;
    private final HttpServer http;

    private Alerter(AlerterSettings settings, Map<ChannelType, Channel> channels) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        Topics topics = new Topics(settings.topicPrefix(), Topics.DEFAULT_PARTITIONS,
                SchemaRegistries.fromConfig(settings.registry()));
        this.dispatcher = new Dispatcher(settings, topics, channels, registry, Clock.systemUTC());
        this.http = settings.metricsPort() < 0 ? null : metricsServer(settings.metricsPort());
    }

    /** Starts the alerter with {@code channels} (normally {@link Channels#standard}). */
    public static Alerter start(AlerterSettings settings, Map<ChannelType, Channel> channels) {
        Alerter a = new Alerter(settings, channels);
        a.dispatcher.start();
        if (a.http != null) {
            a.http.start();
        }
        log.info("sla-alerter {} started: {} targets, {} routes{}", settings.instanceId(), settings.targets().size(), settings.routes().size(),
                a.http == null ? "" : ", metrics on port " + a.http.getAddress().getPort());
        return a;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The port of {@code /metrics}, or -1 when it is off. */
    public int metricsPort() {
        return http == null ? -1 : http.getAddress().getPort();
    }

    private HttpServer metricsServer(int port) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
            server.createContext("/metrics", exchange -> {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.createContext("/health", exchange -> {
                boolean ready = dispatcher.ready();
                byte[] body = ("{\"status\":\"" + (ready ? "UP" : "STARTING") + "\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(ready ? 200 : 503, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port + " for /metrics (alerter.metrics.port)", e);
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        dispatcher.close();
        registry.close();
    }
}
