package dev.handoff.alerter;

import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.SeverityBand;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlerterSettingsTest {

    @Test
    void settingsProblemsAreAllReportedAtOnceNamingTheirKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                AlerterSettings.from(Map.of("alerter.target.x.type", "fax", "alerter.target.pd.type", "pagerduty",
                        "alerter.soc.targets", "nowhere", "alerter.retry.initial", "5 seconds", "alerter.target.mail.type", "email"), Map.of()));
        String m = e.getMessage();
        assertTrue(m.contains("alerter.target.x.type"), m);
        assertTrue(m.contains("alerter.target.pd.routing-key"), m);
        assertTrue(m.contains("'nowhere'"), m);
        assertTrue(m.contains("alerter.retry.initial"), m);
        assertTrue(m.contains("alerter.smtp.host"), m);
        assertFalse(m.contains("alerter.digest"), m);
        assertNotNull(AlerterSettings.from(Map.of(), Map.of()), "the defaults alone are valid");
    }

    @Test
    void routesUnionTheTargetsOfEveryMatchingRule() {
        AlerterSettings s = AlerterSettings.from(kv(
                "alerter.target.soc.type", "slack", "alerter.target.soc.url", "https://hooks.slack.com/services/T/B/x",
                "alerter.target.pd.type", "pagerduty", "alerter.target.pd.routing-key", "R0UT1NGKEY",
                "alerter.target.pay.type", "teams", "alerter.target.pay.url", "https://example.com/workflow",
                "alerter.soc.targets", "soc",
                "alerter.route.page.kinds", "sla", "alerter.route.page.bands", "critical", "alerter.route.page.targets", "pd",
                "alerter.route.payments.teams", "team-pay", "alerter.route.payments.targets", "pay"), Map.of());
        assertEquals(List.of("soc", "pd"), names(s.targetsFor(AlerterSettings.Kind.SLA, "team-x", SeverityBand.CRITICAL)));
        assertEquals(List.of("soc"), names(s.targetsFor(AlerterSettings.Kind.SLA, "team-x", SeverityBand.HIGH)));
        assertEquals(List.of("soc", "pd", "pay"), names(s.targetsFor(AlerterSettings.Kind.SLA, "team-pay", SeverityBand.CRITICAL)));
        assertEquals(List.of("pay"), names(s.targetsFor(AlerterSettings.Kind.OWNER, "team-pay", SeverityBand.LOW)));
        assertEquals(List.of(), names(s.targetsFor(AlerterSettings.Kind.OWNER, null, SeverityBand.LOW)));
        assertEquals(Target.PAGERDUTY_EVENTS_V2, s.targets().get("pd").url());
    }

    @Test
    void environmentOverridesTheFileAndQuietHoursFollowTheOwnersZone() {
        AlerterSettings s = AlerterSettings.from(Map.of("alerter.calendar.zone", "Europe/Berlin"),
                Map.of("HANDOFF_ALERTER_ESCALATION_LOOPS", "3", "KAFKA_BOOTSTRAP_SERVERS", "kafka:9092", "KAFKA_SECURITY_PROTOCOL", "SSL",
                        "HANDOFF_ALERTER_TARGET_PD_TYPE", "pagerduty", "HANDOFF_ALERTER_TARGET_PD_ROUTING__KEY", "secret-from-env",
                        "HANDOFF_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "alerter:pw"));
        assertEquals("secret-from-env", s.targets().get("pd").routingKey(), "a double underscore is a hyphen");
        assertEquals(3, s.escalationLoops());
        assertEquals("kafka:9092", s.bootstrapServers());
        assertEquals("SSL", s.kafka().get("security.protocol"), "Kafka TLS/SASL settings reach the alerter's clients");
        assertEquals("alerter:pw", s.registry().get("schema.registry.basic.auth.user.info"), "and registry credentials its registry client");
        Instant monday0830Utc = Instant.parse("2026-11-23T08:30:00Z");
        assertTrue(s.calendarFor(null).isWorkingTime(monday0830Utc), "09:30 in Berlin");
        assertFalse(s.calendarFor("America/New_York").isWorkingTime(monday0830Utc), "03:30 in New York");
        assertTrue(s.calendarFor("Not/AZone").isWorkingTime(monday0830Utc), "an unknown zone falls back to the calendar's");
    }

    private static Map<String, String> kv(String... kv) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static List<String> names(List<Target> targets) {
        return targets.stream().map(Target::name).toList();
    }
}
