package dev.handoff.schemas;

import dev.handoff.avro.FindingActivity;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicDefTest {

    @Test
    void theAuditRecordIsTheOnlyTopicCreatedWithoutATimeLimit() {
        assertEquals(Map.of("cleanup.policy", "delete", "retention.ms", "-1"), Topics.FINDINGS_ACTIVITY.configs());
        List<TopicDef<?>> kept = Topics.ALL.stream().filter(TopicDef::keptForever).toList();
        assertEquals(List.of(Topics.FINDINGS_ACTIVITY), kept);
        // The inputs take the cluster's retention; the compacted topics keep their latest records by compaction.
        assertEquals(Map.of("cleanup.policy", "delete"), Topics.FINDINGS_REPORTED.configs());
        assertEquals(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"), Topics.FINDINGS_STATE.configs());
        assertFalse(Topics.FINDINGS_STATE.configs().containsKey("retention.ms"));
    }

    @Test
    void aCompactedTopicCannotAlsoAskForNoTimeLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TopicDef<>("x", FindingActivity.class, TopicDef.Keying.FINDING, true, true, "x"));
        assertTrue(e.getMessage().contains("compacted"), e.getMessage());
    }
}
