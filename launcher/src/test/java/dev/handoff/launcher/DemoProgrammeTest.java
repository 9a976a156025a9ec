package dev.handoff.launcher;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.OwnerKind;
import dev.handoff.streams.routing.AliasIndex;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sample programme is realistic enough to populate every number: most findings bind, some do not, every kind of step occurs. */
class DemoProgrammeTest {

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void mostFindingsBindToAnAssetAndSomeWaitUnrouted() {
        DemoProgramme p = DemoProgramme.build(7, NOW, Duration.ofDays(21));
        AliasIndex index = new AliasIndex();
        p.assets.forEach(index::put);
        long bound = 0;
        Map<String, Long> unboundByReport = new java.util.TreeMap<>();
        for (FindingReported f : p.findings.values()) {
            Optional<AliasIndex.Binding> b = index.bind(f.getTarget());
            if (b.isPresent()) {
                bound++;
            } else {
                unboundByReport.merge(f.getSource(), 1L, Long::sum);
            }
        }
        double share = bound / (double) p.findings.size();
        System.out.printf("bound %d of %d findings (%.0f%%)%n", bound, p.findings.size(), share * 100);
        assertTrue(share > 0.6, "most findings bind: " + share + "; unbound by source: " + unboundByReport);
        assertTrue(share < 0.98, "some wait in the unrouted queue: " + share);
    }

    private static java.util.List<String> describe(DemoProgramme p) {
        return p.steps.stream().map(s -> s.at() + " " + (s.isReport() ? s.report().name() : s.command() + " " + s.findingId())).toList();
    }

    @Test
    void theTimelineIsOrderedInThePastAndHasEveryKindOfStep() {
        DemoProgramme p = DemoProgramme.build(7, NOW, Duration.ofDays(21));
        assertEquals(p.steps.stream().sorted(java.util.Comparator.comparing(DemoProgramme.Step::at)).toList().stream().map(DemoProgramme.Step::at).toList(),
                p.steps.stream().map(DemoProgramme.Step::at).toList());
        assertTrue(p.steps.stream().allMatch(s -> s.at().isBefore(NOW) && !s.at().isBefore(p.start())));
        for (CommandKind k : new CommandKind[] {CommandKind.ACKNOWLEDGE, CommandKind.ENTER_TRIAGE, CommandKind.START_WORK, CommandKind.RESOLVE,
                CommandKind.VERIFY, CommandKind.CHANGE_SEVERITY}) {
            assertTrue(p.steps.stream().anyMatch(s -> s.command() == k), "a " + k + " step");
        }
        assertTrue(p.steps.stream().anyMatch(s -> s.rescanKey() != null), "a rescan that reopens");
        assertTrue(p.owners.stream().anyMatch(o -> !o.getActive()) && p.owners.stream().anyMatch(o -> o.getKind() == OwnerKind.GROUP));
        assertTrue(p.assets.size() >= 200);
        assertEquals(describe(DemoProgramme.build(7, NOW, Duration.ofDays(21))), describe(p), "deterministic for a seed");
    }
}
