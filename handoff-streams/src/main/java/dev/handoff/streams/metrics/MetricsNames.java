package dev.handoff.streams.metrics;

/** Names of the metrics part of the topology: its stores, internal topic and nodes. They must never drift. */
public final class MetricsNames {

    public static final String SOURCE = "handoff-streams";

    /** Suffix (after the topic prefix) of the internal topic carrying member facts keyed by cohort id. */
    public static final String COHORT_MEMBERS_TOPIC_SUFFIX = "streams.cohort-members";

    /** Router (finding partitions): finding id to the cohort ids it was last sent to and its last facts. */
    public static final String MEMBER_KEYS_STORE = "metrics-member-keys";
    /** Metrics (cohort partitions): {@code cohortId|findingId} to the member's facts. */
    public static final String MEMBERS_STORE = "cohort-members";
    /** Metrics: cohort id ({@code DIMENSION|key|BAND|yyyy-MM-dd}) to its latest DAY {@code HandoffWindow}. */
    public static final String HANDOFF_DAYS_STORE = "metrics-handoff-days";
    /** Metrics: cohort id to its latest DAY {@code CycleWindow}. */
    public static final String CYCLE_DAYS_STORE = "metrics-cycle-days";
    /** Metrics: cohorts to recompute: {@code dirty|cohortId}, and {@code due|<13-digit millis>|cohortId} by time. */
    public static final String REFRESH_STORE = "metrics-refresh";
    /** Metrics: each finding partition's latest gauge snapshot, and the summed history for charts. */
    public static final String GAUGES_STORE = "metrics-gauges";

    public static final String ROUTER_NODE = "cohort-members-router";
    public static final String METRICS_NODE = "cohort-metrics";

    private MetricsNames() {
    }
}
