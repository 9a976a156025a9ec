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
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

import java.util.List;

/** The catalogue of top-level records that travel on Handoff's topics. */
public final class HandoffSchemas {

    /** Every top-level record type, in DESIGN.md section 2 order; a new topic record is added here. */
    public static final List<Class<? extends SpecificRecord>> RECORD_TYPES = List.of(
            FindingReported.class,
            LifecycleCommand.class,
            NotificationDispatched.class,
            Asset.class,
            Owner.class,
            Team.class,
            KevEntry.class,
            SlaPolicy.class,
            FindingActivity.class,
            FindingState.class,
            OwnerNotification.class,
            SlaBreach.class,
            UnroutedEvent.class,
            HandoffWindow.class,
            CycleWindow.class,
            DeadLetter.class,
            ReportReceipt.class);

    private HandoffSchemas() {
    }

    /** The current schemas of {@link #RECORD_TYPES}. */
    public static List<Schema> currentSchemas() {
        return RECORD_TYPES.stream().map(HandoffSchemas::schemaOf).toList();
    }

    public static Schema schemaOf(Class<? extends SpecificRecord> type) {
        return SpecificData.get().getSchema(type);
    }
}
