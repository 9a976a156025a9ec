package dev.handoff.schemas;

import dev.handoff.avro.Asset;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.ReportReceipt;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.schemas.TopicDef.Keying;
import dev.handoff.schemas.registry.SchemaRegistry;
import dev.handoff.schemas.serde.AvroSerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.List;
import java.util.Objects;

/**
 * The registry of Handoff's topics (DESIGN.md section 2): each topic's name under the deployment
 * prefix, with its key and value serde, so no topic name or serde is built anywhere else.
 */
public final class Topics {

    public static final String DEFAULT_PREFIX = "handoff.";
    public static final int DEFAULT_PARTITIONS = 12;

    public static final TopicDef<FindingReported> FINDINGS_REPORTED = new TopicDef<>("findings.reported",
            FindingReported.class, Keying.FINDING, false, "one record per finding per scan");
    public static final TopicDef<LifecycleCommand> FINDINGS_COMMANDS = new TopicDef<>("findings.commands",
            LifecycleCommand.class, Keying.FINDING, false, "acknowledge, triage, resolve and the other lifecycle commands");
    public static final TopicDef<NotificationDispatched> NOTIFICATIONS_RECEIPTS = new TopicDef<>("notifications.receipts",
            NotificationDispatched.class, Keying.FINDING, false, "delivery receipts from the alerter; close stage 4");
    public static final TopicDef<Asset> ASSETS = new TopicDef<>("assets",
            Asset.class, Keying.REFERENCE, true, "asset register, keyed by asset id");
    public static final TopicDef<Owner> OWNERS = new TopicDef<>("owners",
            Owner.class, Keying.REFERENCE, true, "people and group inboxes, keyed by user id");
    public static final TopicDef<Team> TEAMS = new TopicDef<>("teams",
            Team.class, Keying.REFERENCE, true, "teams with lead and escalation chain, keyed by team id");
    public static final TopicDef<KevEntry> KEV = new TopicDef<>("kev",
            KevEntry.class, Keying.REFERENCE, true, "CISA KEV catalogue, keyed by CVE id");
    public static final TopicDef<SlaPolicy> SLA_POLICY = new TopicDef<>("sla-policy",
            SlaPolicy.class, Keying.REFERENCE, true, "SLA policies and business calendars, keyed by policy id");
    public static final TopicDef<FindingActivity> FINDINGS_ACTIVITY = new TopicDef<>("findings.activity",
            FindingActivity.class, Keying.FINDING, false, true, "append-only activity log, the audit record, kept without time limit");
    public static final TopicDef<FindingState> FINDINGS_STATE = new TopicDef<>("findings.state",
            FindingState.class, Keying.FINDING, true, "current state of each finding, for BI");
    public static final TopicDef<OwnerNotification> NOTIFY_REQUESTS = new TopicDef<>("notify.requests",
            OwnerNotification.class, Keying.OTHER, false, "owner notifications for the alerter, keyed by owner id");
    public static final TopicDef<SlaBreach> ALERTS_SLA_BREACH = new TopicDef<>("alerts.sla-breach",
            SlaBreach.class, Keying.FINDING, false, "SLA warnings, breaches and reminders");
    public static final TopicDef<UnroutedEvent> ALERTS_UNROUTED = new TopicDef<>("alerts.unrouted",
            UnroutedEvent.class, Keying.OTHER, false, "unrouted queue entries, exits, depth and threshold crossings");
    public static final TopicDef<HandoffWindow> METRICS_HANDOFF = new TopicDef<>("metrics.handoff",
            HandoffWindow.class, Keying.OTHER, true, "five-number handoff dashboard per window, severity and dimension");
    public static final TopicDef<CycleWindow> METRICS_CYCLE = new TopicDef<>("metrics.cycle",
            CycleWindow.class, Keying.OTHER, true, "handoff, triage, fix and verification segments");
    public static final TopicDef<DeadLetter> DEADLETTER = new TopicDef<>("deadletter",
            DeadLetter.class, Keying.OTHER, false, "what could not be processed, why, and the original bytes");
    public static final TopicDef<ReportReceipt> INTAKE_RECEIPTS = new TopicDef<>("intake.receipts",
            ReportReceipt.class, Keying.OTHER, true, "receipts of accepted reports, keyed by report id: idempotent retries across restarts");

    public static final List<TopicDef<?>> ALL = List.of(FINDINGS_REPORTED, FINDINGS_COMMANDS, NOTIFICATIONS_RECEIPTS,
            ASSETS, OWNERS, TEAMS, KEV, SLA_POLICY, FINDINGS_ACTIVITY, FINDINGS_STATE, NOTIFY_REQUESTS,
            ALERTS_SLA_BREACH, ALERTS_UNROUTED, METRICS_HANDOFF, METRICS_CYCLE, DEADLETTER, INTAKE_RECEIPTS);

    private final String prefix;
    private final int partitions;
    private final SchemaRegistry registry;

    /**
     * @param prefix     prepended to every topic name, for example {@code handoff.}
     * @param partitions partition count of finding-keyed and other non-reference topics; finding-keyed topics must share it
     * @param registry   schema registry the value serdes register with and resolve from
     */
    public Topics(String prefix, int partitions, SchemaRegistry registry) {
        if (partitions < 1) {
            throw new IllegalArgumentException("topic partition count must be at least 1, was " + partitions);
        }
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.partitions = partitions;
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    public String name(TopicDef<?> topic) {
        return prefix + topic.suffix();
    }

    public String prefix() {
        return prefix;
    }

    public int partitions(TopicDef<?> topic) {
        return topic.keying() == Keying.REFERENCE ? 1 : partitions;
    }

    public SchemaRegistry registry() {
        return registry;
    }

    /** Keys are plain UTF-8 strings on every topic (finding id, owner id, asset id, window key). */
    public Serde<String> keySerde() {
        return Serdes.String();
    }

    /** The Avro value serde of a topic, in the Schema Registry wire format. */
    public <V extends SpecificRecord> Serde<V> valueSerde(TopicDef<V> topic) {
        return AvroSerdes.value(topic.valueType(), registry);
    }

    /** The topics to create, with their partition counts and cleanup policies. */
    public List<NewTopic> newTopics(short replicationFactor) {
        return ALL.stream()
                .map(t -> new NewTopic(name(t), partitions(t), replicationFactor).configs(t.configs()))
                .toList();
    }
}
