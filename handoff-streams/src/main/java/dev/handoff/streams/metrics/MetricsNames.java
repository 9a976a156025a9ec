package dev.handoff.streams.metrics;

/** Names of the metrics part of the topology: its stores, internal topic and nodes. They must never drift. */
public final class MetricsNames {

    public static final String SOURCE = "handoff-streams";

    /** Suffix (after the topic prefix) of the internal topic carrying each finding partition's cohort partials. */
    public static final String COHORT_PARTIALS_TOPIC_SUFFIX = "streams.cohort-partials";

    /**
     * Finding partitions: {@code d|yyyy-MM-dd|findingId} to the finding's cohort values and member facts under its cohort
     * day. (Until decision 0015 also {@code f|findingId} to its open flags and cohort day; such keys are no longer read.)
     */
    public static final String DAY_MEMBERS_STORE = "metrics-day-members";
    /**
     * Finding partitions: the days to recompute (dirty, and due by time), per day the cohorts a partial was sent for with
     * the time until which it is exact, and the partition's open counts.
     */
    public static final String PARTIALS_REFRESH_STORE = "metrics-partials-refresh";
    /** Metrics (cohort partitions): {@code cohortId|p<finding partition>} to that partition's {@link CohortPartial}. */
    public static final String PARTIALS_STORE = "cohort-partials";
    /** Metrics: cohort id ({@code DIMENSION|key|BAND|yyyy-MM-dd}) to its latest DAY {@code HandoffWindow}. */
    public static final String HANDOFF_DAYS_STORE = "metrics-handoff-days";
    /** Metrics: cohort id to its latest DAY {@code CycleWindow}. */
    public static final String CYCLE_DAYS_STORE = "metrics-cycle-days";
    /** Metrics: cohorts to re-merge: {@code dirty|cohortId}. */
    public static final String REFRESH_STORE = "metrics-refresh";
    /** Metrics: each finding partition's latest gauge snapshot, and the summed history for charts. */
    public static final String GAUGES_STORE = "metrics-gauges";

    public static final String PARTIALS_NODE = "cohort-partials-builder";
    public static final String METRICS_NODE = "cohort-metrics";

    private MetricsNames() {
    }
}
