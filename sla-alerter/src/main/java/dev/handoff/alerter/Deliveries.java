package dev.handoff.alerter;

import dev.handoff.alerter.channel.Channel;
import dev.handoff.alerter.channel.DeliveryResult;
import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.ChannelType;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs delivery attempts off the dispatcher's thread, so one slow endpoint never holds up the others: each target has
 * its own concurrency cap, rate limit and circuit breaker. The dispatcher asks {@link #mayStart} before it marks an
 * attempt in flight, then {@link #start}s it; outcomes come back through {@link #completed()}.
 */
final class Deliveries implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Deliveries.class);

    /** The outcome of one attempt of job {@code jobId} (attempt number {@code attempt}) in schedule partition {@code partition}. */
    record Completion(String jobId, int partition, int attempt, DeliveryResult result, long tookMillis) {
    }

    private final Map<ChannelType, Channel> channels;
    private final AlerterSettings settings;
    private final ExecutorService pool;
    private final Queue<Completion> completed = new ConcurrentLinkedQueue<>();
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();

    Deliveries(Map<ChannelType, Channel> channels, AlerterSettings settings) {
        this.channels = Map.copyOf(channels);
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(Math.max(4, settings.targets().size() * settings.targetConcurrency()), r -> {
            Thread t = new Thread(r, "alerter-delivery-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    Channel channel(ChannelType type) {
        return channels.get(type);
    }

    /**
     * Why an attempt to {@code target} may not start now, or null when it may. When it may, a concurrency slot and a
     * rate-limit permit are taken: follow with {@link #start}, or {@link #release} if the attempt is not started.
     */
    String mayStart(Target target) {
        AtomicInteger slots = running(target);
        if (slots.incrementAndGet() > settings.targetConcurrency()) {
            slots.decrementAndGet();
            return "busy";
        }
        CircuitBreaker breaker = breaker(target);
        String no = null;
        if (breaker.getState() == CircuitBreaker.State.OPEN) {
            no = "circuit open";
        } else if (target.perMinute() > 0 && !limiter(target).acquirePermission()) {
            no = "rate limited";
        } else if (!breaker.tryAcquirePermission()) {
            no = "circuit open";
        }
        if (no != null) {
            slots.decrementAndGet();
        }
        return no;
    }

    /** Gives back the slot of an attempt {@link #mayStart} allowed but that was not started. */
    void release(Target target) {
        running(target).decrementAndGet();
        breaker(target).releasePermission();
    }

    /** Starts an attempt {@link #mayStart} allowed. */
    void start(Target target, Alert alert, String jobId, int partition, int attempt) {
        Channel channel = channels.get(target.type());
        pool.execute(() -> {
            long t0 = System.nanoTime();
            DeliveryResult result;
            try {
                result = channel == null ? new DeliveryResult.Failed("no " + target.type() + " channel is available", 0, "")
                        : channel.deliver(target, alert);
            } catch (RuntimeException e) {
                log.error("the {} channel threw for {}; counted as a transient failure", target.type(), target, e);
                result = DeliveryResult.retry("the channel failed: " + e);
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            CircuitBreaker breaker = breaker(target);
            if (result instanceof DeliveryResult.Retry) {
                breaker.onError(took, TimeUnit.MILLISECONDS, new TransientFailure());
            } else {
                breaker.onSuccess(took, TimeUnit.MILLISECONDS);
            }
            running(target).decrementAndGet();
            completed.add(new Completion(jobId, partition, attempt, result, took));
        });
    }

    Queue<Completion> completed() {
        return completed;
    }

    CircuitBreaker.State breakerState(Target target) {
        return breaker(target).getState();
    }

    private AtomicInteger running(Target target) {
        return running.computeIfAbsent(target.name(), k -> new AtomicInteger());
    }

    private CircuitBreaker breaker(Target target) {
        return breakers.computeIfAbsent(target.name(), name -> CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.breakerFailures())
                .minimumNumberOfCalls(settings.breakerFailures())
                .failureRateThreshold(100)
                .waitDurationInOpenState(settings.breakerOpen().isZero() ? Duration.ofMillis(1) : settings.breakerOpen())
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .recordException(e -> e instanceof TransientFailure)
                .build()));
    }

    private RateLimiter limiter(Target target) {
        return limiters.computeIfAbsent(target.name(), name -> RateLimiter.of(name, RateLimiterConfig.custom()
                .limitForPeriod(target.perMinute())
                .limitRefreshPeriod(Duration.ofMinutes(1))
                .timeoutDuration(Duration.ZERO)
                .build()));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the breaker counts: endpoint trouble (5xx, 429, timeouts), not permanent refusals of one message. */
    private static final class TransientFailure extends RuntimeException {
        TransientFailure() {
            super(null, null, false, false);
        }
    }
}
