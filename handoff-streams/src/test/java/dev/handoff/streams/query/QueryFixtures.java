package dev.handoff.streams.query;


import java.time.Instant;

/** Images the query tests use; the people, assets and events come from {@link dev.handoff.streams.Fixtures}. */
final class QueryFixtures {

    static final Instant T0 = dev.handoff.streams.Fixtures.T0;
    static final String IMAGE = "registry.example.com/payments/api";
    static final String UNKNOWN_IMAGE = "registry.example.com/nobody/worker";
}
