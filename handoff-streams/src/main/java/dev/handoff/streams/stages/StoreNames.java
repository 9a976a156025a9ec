package dev.handoff.streams.stages;

/**
 * Names of the lifecycle processor's state stores. They are part of the operational contract: each
 * names a changelog topic ({@code <application.id>-<store>-changelog}) and must never drift.
 */
public final class StoreNames {

    /** Current {@code FindingState} per finding id. */
    public static final String FINDING_STATE = "finding-state";
    /** Unrouted queue: finding id to the epoch millis it entered the queue. */
    public static final String UNROUTED_QUEUE = "unrouted-queue";
    /** Which open findings depend on which reference record ({@code kind:id|findingId}), for re-routing. */
    public static final String DEPENDENTS = "routing-dependents";
    /*
     * No store keeps a finding's activities (finding-activity-log until decision 0015): the query API reads them from
     * findings.activity. The name must not be reused for a store of another content.
     */
    /** Open findings by routed owner: {@code ownerId|findingId} to the finding's band, for the owner view. */
    public static final String OWNER_OPEN = "owner-open-findings";
    /**
     * Alert ids already emitted, so each (finding, SLA, level, deadline, reminder) goes out once; also the task's stream
     * time ({@code ~stream-time}) and its last queue snapshot ({@code ~unrouted-snapshot}).
     */
    public static final String SLA_FIRED = "sla-fired-alerts";
    /** Task-local copies of the reference data, fed by the fan-out topic. */
    public static final String ASSETS = "reference-assets";
    public static final String OWNERS = "reference-owners";
    public static final String TEAMS = "reference-teams";
    public static final String KEV = "reference-kev";
    public static final String SLA_POLICIES = "reference-sla-policies";

    private StoreNames() {
    }
}
