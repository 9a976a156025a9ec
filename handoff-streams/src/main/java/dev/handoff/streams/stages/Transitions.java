package dev.handoff.streams.stages;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingStatus;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.handoff.avro.FindingStatus.ACKNOWLEDGED;
import static dev.handoff.avro.FindingStatus.FALSE_POSITIVE;
import static dev.handoff.avro.FindingStatus.IN_PROGRESS;
import static dev.handoff.avro.FindingStatus.OPEN;
import static dev.handoff.avro.FindingStatus.RESOLVED;
import static dev.handoff.avro.FindingStatus.RISK_ACCEPTED;
import static dev.handoff.avro.FindingStatus.TRIAGED;
import static dev.handoff.avro.FindingStatus.VERIFIED;

/** Which lifecycle commands are valid in which status; everything else goes to the dead-letter topic. */
public final class Transitions {

    /** Statuses in which a finding is still being worked (not closed). */
    public static final Set<FindingStatus> OPEN_STATUSES = EnumSet.of(OPEN, ACKNOWLEDGED, TRIAGED, IN_PROGRESS);
    /** Statuses in which the remediation clock (acknowledgement to verified closure) still runs. */
    public static final Set<FindingStatus> REMEDIATION_RUNNING = EnumSet.of(OPEN, ACKNOWLEDGED, TRIAGED, IN_PROGRESS, RESOLVED);
    /** Closed statuses that a new capture reopens (risk acceptance and false positives stay closed). */
    public static final Set<FindingStatus> REOPENED_BY_CAPTURE = EnumSet.of(RESOLVED, VERIFIED);

    private static final Map<CommandKind, Set<FindingStatus>> ALLOWED = Map.ofEntries(
            Map.entry(CommandKind.ACKNOWLEDGE, EnumSet.of(OPEN)),
            Map.entry(CommandKind.ENTER_TRIAGE, EnumSet.of(OPEN, ACKNOWLEDGED)),
            Map.entry(CommandKind.START_WORK, EnumSet.of(OPEN, ACKNOWLEDGED, TRIAGED)),
            Map.entry(CommandKind.RESOLVE, EnumSet.of(OPEN, ACKNOWLEDGED, TRIAGED, IN_PROGRESS)),
            Map.entry(CommandKind.VERIFY, EnumSet.of(RESOLVED)),
            Map.entry(CommandKind.REOPEN, EnumSet.of(RESOLVED, VERIFIED, RISK_ACCEPTED, FALSE_POSITIVE)),
            Map.entry(CommandKind.REASSIGN, OPEN_STATUSES),
            Map.entry(CommandKind.ACCEPT_RISK, OPEN_STATUSES),
            Map.entry(CommandKind.MARK_FALSE_POSITIVE, OPEN_STATUSES),
            Map.entry(CommandKind.CHANGE_SEVERITY, OPEN_STATUSES),
            Map.entry(CommandKind.COMMENT, EnumSet.allOf(FindingStatus.class)));

    /** Commands that complete a later stage; arriving before an explicit acknowledgement they infer one. */
    public static final Set<CommandKind> INFER_ACK = EnumSet.of(
            CommandKind.ENTER_TRIAGE, CommandKind.START_WORK, CommandKind.RESOLVE);

    private Transitions() {
    }

    public static boolean allowed(CommandKind command, FindingStatus from) {
        return ALLOWED.get(command).contains(from);
    }

    public static Set<FindingStatus> allowedFrom(CommandKind command) {
        return ALLOWED.get(command);
    }
}
