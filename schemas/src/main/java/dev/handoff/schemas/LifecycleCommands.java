package dev.handoff.schemas;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.Reassignment;
import dev.handoff.avro.RiskAcceptance;
import dev.handoff.avro.SeverityChange;

import java.util.Optional;

/**
 * The rules a {@link LifecycleCommand} must meet wherever it is accepted (intake API, streams app):
 * a named actor, a finding id, and details of the type its kind needs.
 */
public final class LifecycleCommands {

    private LifecycleCommands() {
    }

    /** What is wrong with the command, in words a person can act on; empty when it is well-formed. */
    public static Optional<String> problem(LifecycleCommand command) {
        if (command.getFindingId() == null || command.getFindingId().isBlank()) {
            return Optional.of("finding_id is empty");
        }
        if (command.getActor() == null || command.getActor().getId() == null || command.getActor().getId().isBlank()) {
            return Optional.of(command.getKind() + " has no actor id: every command must name the person who acted");
        }
        Object details = command.getDetails();
        CommandKind kind = command.getKind();
        return switch (kind) {
            case REASSIGN -> details instanceof Reassignment r && !r.getToOwnerId().isBlank()
                    ? Optional.empty()
                    : Optional.of("REASSIGN needs details of type Reassignment with a to_owner_id");
            case CHANGE_SEVERITY -> details instanceof SeverityChange
                    ? Optional.empty()
                    : Optional.of("CHANGE_SEVERITY needs details of type SeverityChange with the new band");
            case ACCEPT_RISK -> details == null || details instanceof RiskAcceptance
                    ? Optional.empty()
                    : Optional.of("ACCEPT_RISK takes details of type RiskAcceptance or none, not " + typeName(details));
            case COMMENT -> command.getNote() == null || command.getNote().isBlank()
                    ? Optional.of("COMMENT needs the comment text in note")
                    : details == null ? Optional.empty() : Optional.of("COMMENT takes no details, got " + typeName(details));
            default -> details == null
                    ? Optional.empty()
                    : Optional.of(kind + " takes no details, got " + typeName(details));
        };
    }

    private static String typeName(Object o) {
        return o.getClass().getSimpleName();
    }
}
