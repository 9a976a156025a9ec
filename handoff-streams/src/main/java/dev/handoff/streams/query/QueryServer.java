package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.streams.metrics.MetricRows;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * The query API over HTTP (Javalin): the public views, the internal endpoints other instances forward
 * to (answered from this instance's stores only, never forwarded again), and {@code /health}. Every
 * answer, errors included, is JSON.
 *
 * <p>Kafka Streams must advertise this server in {@code application.server} before it starts, so the
 * server can be started first (on port 0 if any port will do) and given its {@link QueryService} once
 * the {@code KafkaStreams} exists; until then it answers 503.
 */
public final class QueryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueryServer.class);
    private static final String JSON = "application/json";

    private final Javalin app;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile QueryService service;
    private KafkaStreamsMetrics streamsMetrics;
    private java.util.concurrent.ScheduledExecutorService meterScheduler;
    /** How often new Kafka Streams metrics (a task or store that appeared) are bound as meters. */
    private static final java.time.Duration METER_REFRESH = java.time.Duration.ofMinutes(5);

    private QueryServer(Javalin app) {
        this.app = app;
    }

    /** Serves on {@code bindHost:port} (port 0: any free port) and answers 503 until {@link #attach} is called. */
    public static QueryServer start(String bindHost, int port) {
        Objects.requireNonNull(bindHost, "bindHost");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("query port must be 0-65535, was " + port);
        }
        Javalin app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.defaultContentType = JSON;
            cfg.router.ignoreTrailingSlashes = true;
            cfg.jetty.modifyServer(jetty -> jetty.setErrorHandler(new JsonErrorHandler()));
            cfg.staticFiles.enableWebjars();
            cfg.staticFiles.add(files -> {
                files.hostedPath = "/dashboard";
                files.directory = "/dashboard";
                files.location = io.javalin.http.staticfiles.Location.CLASSPATH;
            });
            cfg.requestLogger.http((ctx, ms) -> log.debug("{} {} -> {} in {} ms", ctx.method(), ctx.path(), ctx.status(), ms));
        });
        QueryServer server = new QueryServer(app);
        server.routes();
        try {
            app.start(bindHost, port);
        } catch (RuntimeException e) {
            app.stop();
            throw new IllegalStateException("cannot serve the query API on " + bindHost + ":" + port + ": " + e.getMessage(), e);
        }
        log.info("query API listening on {}:{}", bindHost, app.port());
        return server;
    }

    /** Serves {@code service} on {@code bindHost:port}. */
    public static QueryServer start(QueryService service, String bindHost, int port) {
        return start(bindHost, port).attach(service);
    }

    /** Starts answering queries from {@code queryService}. */
    public QueryServer attach(QueryService queryService) {
        this.service = Objects.requireNonNull(queryService, "queryService");
        bindMeters(queryService);
        log.info("query API on port {} serves instance {}", port(), PeerClient.endpoint(queryService.self()));
        return this;
    }

    /** The port the server listens on (the chosen one when started with port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        if (streamsMetrics != null) {
            streamsMetrics.close();
            meterScheduler.shutdownNow();
        }
        registry.close();
    }

    /** Prometheus meters: the workspace gauges, the JVM, and Kafka Streams' own client metrics. */
    private void bindMeters(QueryService s) {
        // Kafka tags an in-memory store's metrics in.memory.state.id and a RocksDB store's rocksdb.state.id under the same
        // names; Prometheus refuses one name with two tag sets (and logs a warning). The in-memory one is the SLA timer
        // index, rebuilt at start: its put/get rates are left out.
        registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(id -> id.getTag("in.memory.state.id") != null));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        // Micrometer re-reads the whole Kafka metric map every refresh to bind new meters: thousands of entries with
        // ~240 stores, 6 % of the process's samples in the end-to-end bench at its 1-minute default.
        meterScheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "micrometer-kafka-metrics");
            t.setDaemon(true);
            return t;
        });
        streamsMetrics = new KafkaStreamsMetrics(s.streams(), java.util.List.of(), meterScheduler, METER_REFRESH);
        streamsMetrics.bindTo(registry);
        Gauge.builder("handoff.unrouted.depth", s, q -> q.localLatestGauges().map(g -> (double) g.unroutedDepth()).orElse(Double.NaN))
                .description("Open findings without a named active owner, now (all partitions)").register(registry);
        Gauge.builder("handoff.unrouted.oldest.age", s, q -> q.localLatestGauges()
                        .map(g -> g.oldestUnroutedAt() == null ? 0.0 : Math.max(0, now().toEpochMilli() - g.oldestUnroutedAt().toEpochMilli()) / 1000.0)
                        .orElse(Double.NaN))
                .baseUnit("seconds").description("Time in queue of the oldest unrouted finding").register(registry);
        Gauge.builder("handoff.open.findings", s, q -> q.localLatestGauges().map(g -> (double) g.open()).orElse(Double.NaN))
                .description("Open findings (all partitions)").register(registry);
        Gauge.builder("handoff.ownership.currency", s, q -> q.localLatestGauges()
                        .map(g -> g.ownershipCurrency() == null ? Double.NaN : g.ownershipCurrency()).orElse(Double.NaN))
                .description("Open findings routed to their current owner / open findings").register(registry);
    }

    // ------------------------------------------------------------------ routes

    private void routes() {
        app.get("/health", this::health);
        app.get("/findings/{id}", ctx -> {
            String id = ctx.pathParam("id");
            QueryService s = service();
            s.finding(id).ifPresentOrElse(view -> json(ctx, 200, view.toJson()), () -> notFound(ctx, id));
        });
        app.get("/queues/unrouted", ctx -> json(ctx, 200, service().unrouted(now()).toJson()));
        app.get("/owners/{id}/open", ctx -> {
            String ownerId = ctx.pathParam("id");
            List<OwnerOpenItem> items = service().ownerOpen(ownerId);
            ObjectNode body = Json.object();
            body.put("owner_id", ownerId);
            body.put("count", items.size());
            ArrayNode array = body.putArray("items");
            items.forEach(i -> array.add(i.toJson()));
            json(ctx, 200, body);
        });

        app.get("/", ctx -> {
            try (java.io.InputStream page = QueryServer.class.getResourceAsStream("/dashboard/index.html")) {
                if (page == null) {
                    throw QueryException.unavailable("the dashboard page is missing from this build", null);
                }
                ctx.status(200).contentType("text/html; charset=utf-8").result(page.readAllBytes());
            }
        });
        app.get("/metrics", ctx -> ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape()));
        app.get("/metrics/handoff", ctx -> {
            QueryService s = service();
            MetricsRequest req = metricsRequest(ctx, s);
            boolean five = "five".equals(ctx.queryParam("detail"));
            if (!five && ctx.queryParam("detail") != null && !"full".equals(ctx.queryParam("detail"))) {
                throw QueryException.badRequest("detail must be 'full' (default: with the stage decomposition) or 'five' (the five numbers only)");
            }
            List<MetricRows.Row> rows = s.metrics(selection(req, null), req.queryString() + "&range=whole",
                    five ? MetricRows.Parts.FIVE : MetricRows.Parts.HANDOFF);
            Instant at = now();
            json(ctx, 200, MetricsJson.handoff(req, rows, s.gauges(at, at), s.defaultSlaPolicy(), s.zone().getId(), at));
        });
        app.get("/metrics/cycle", ctx -> {
            QueryService s = service();
            MetricsRequest req = metricsRequest(ctx, s);
            List<MetricRows.Row> rows = s.metrics(selection(req, null), req.queryString() + "&range=whole", MetricRows.Parts.CYCLE);
            json(ctx, 200, MetricsJson.cycle(req, rows, s.zone().getId(), now()));
        });
        app.get("/metrics/timeseries", ctx -> {
            QueryService s = service();
            MetricsRequest req = metricsRequest(ctx, s);
            List<MetricRows.Row> rows = s.metrics(selection(req, req.granularity()), req.queryString() + "&range=window", MetricRows.Parts.HANDOFF);
            Instant from = req.from().atStartOfDay(s.zone()).toInstant();
            Instant to = req.to().plusDays(1).atStartOfDay(s.zone()).toInstant();
            json(ctx, 200, MetricsJson.timeseries(req, rows, s.gauges(from, to), s.zone().getId(), now()));
        });
        app.get("/internal/metrics/rows", ctx -> {
            QueryService s = service();
            MetricsRequest req = metricsRequest(ctx, s);
            boolean perWindow = "window".equals(ctx.queryParam("range"));
            MetricRows.Parts parts;
            try {
                parts = MetricRows.Parts.valueOf(String.valueOf(ctx.queryParam("parts")).toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw QueryException.badRequest("parts must be handoff, cycle or both");
            }
            json(ctx, 200, PeerWire.encodeRows(s.localMetrics(selection(req, perWindow ? req.granularity() : null), parts)));
        });
        app.get("/internal/metrics/gauges", ctx -> {
            QueryService s = service();
            Instant from = Instant.ofEpochMilli(longParam(ctx, "from"));
            Instant to = Instant.ofEpochMilli(longParam(ctx, "to"));
            json(ctx, 200, s.localGauges(from, to).map(GaugeAnswer::toWire).orElse(Json.object()));
        });

        app.get("/internal/findings/{id}", ctx -> {
            String id = ctx.pathParam("id");
            service().localFinding(id).ifPresentOrElse(view -> json(ctx, 200, PeerWire.encode(view)), () -> notFound(ctx, id));
        });
        app.get("/internal/queues/unrouted", ctx -> {
            List<UnroutedItem> items = service().localUnrouted(now());
            json(ctx, 200, items(items.stream().map(UnroutedItem::toJson).toList()));
        });
        app.get("/internal/owners/{id}/open", ctx -> {
            List<OwnerOpenItem> items = service().localOwnerOpen(ctx.pathParam("id"));
            json(ctx, 200, items(items.stream().map(OwnerOpenItem::toJson).toList()));
        });

        app.exception(QueryException.class, (e, ctx) -> {
            e.retryAfterSeconds().ifPresent(seconds -> ctx.header("Retry-After", Integer.toString(seconds)));
            if (e.status() >= 500) {
                log.info("{} {} answered {}: {}", ctx.method(), ctx.path(), e.status(), e.getMessage());
            }
            error(ctx, e.status(), e.getMessage());
        });
        // Javalin's own 404 (no such route) and 405 would otherwise come back as plain text.
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error while answering " + ctx.method() + " " + ctx.path() + ": " + e);
        });
    }

    private void health(Context ctx) {
        QueryService s = service;
        ObjectNode body = Json.object();
        if (s == null) {
            body.put("status", "DOWN").put("streams_state", "NOT_STARTED");
            ctx.header("Retry-After", "1");
            json(ctx, 503, body);
            return;
        }
        KafkaStreams.State state = s.streamsState();
        boolean up = state == KafkaStreams.State.RUNNING;
        body.put("status", up ? "UP" : "DOWN").put("streams_state", state.name()).put("instance", PeerClient.endpoint(s.self()));
        if (!up) {
            ctx.header("Retry-After", "1");
        }
        json(ctx, up ? 200 : 503, body);
    }

    private static MetricsRequest metricsRequest(Context ctx, QueryService s) {
        return MetricsRequest.parse(ctx.queryParamMap(), java.time.LocalDate.now(s.zone()));
    }

    private static MetricRows.Selection selection(MetricsRequest r, dev.handoff.avro.WindowGranularity granularity) {
        return new MetricRows.Selection(r.from(), r.to(), r.bands(), r.dimension(), r.key(), granularity);
    }

    private static long longParam(Context ctx, String name) {
        try {
            return Long.parseLong(Objects.requireNonNull(ctx.queryParam(name)));
        } catch (RuntimeException e) {
            throw QueryException.badRequest(name + " must be epoch milliseconds, was '" + ctx.queryParam(name) + "'");
        }
    }

    private QueryService service() {
        QueryService s = service;
        if (s == null) {
            throw QueryException.unavailable("the query API is starting: Kafka Streams is not attached yet", null);
        }
        return s;
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    private static ObjectNode items(List<ObjectNode> items) {
        ObjectNode body = Json.object();
        body.putArray("items").addAll(items);
        return body;
    }

    private static void notFound(Context ctx, String findingId) {
        error(ctx, 404, "no finding " + findingId);
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, Json.object().put("error", message));
    }

    private static void json(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(JSON).result(Json.write(body));
    }
}
