package dev.handoff.alerter;

import dev.handoff.alerter.channel.SmtpSettings;
import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.SeverityBand;
import dev.handoff.schemas.ServiceConfig;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.calendar.WorkCalendar;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The alerter's configuration: defaults, then a properties file, then {@code HANDOFF_*} environment variables
 * ({@code HANDOFF_ALERTER_ACK_SECRET} → {@code alerter.ack.secret}) and {@code KAFKA_*} (Kafka client settings:
 * {@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_SECURITY_PROTOCOL}, ...; see {@link KafkaClientSettings}). Every
 * problem is reported at once, naming the key, so a bad file fails at start and not at the first alert.
 * A double underscore in a variable name stands for a hyphen ({@code HANDOFF_ALERTER_TARGET_PD_ROUTING__KEY}).
 * The keys are listed in {@code docs/alerter.md}.
 */
public record AlerterSettings(Map<String, String> kafka, String topicPrefix, Map<String, String> registry, String instanceId, String groupId,
                              String ackSecret, String ackBaseUrl, Duration ackTtl,
                              Map<String, Target> targets, SmtpSettings smtp, List<Route> routes,
                              Duration digestInterval, Set<SeverityBand> digestBands, Set<SeverityBand> quietBands,
                              BusinessCalendar calendar, Duration escalationAfter, int escalationLoops,
                              Set<SeverityBand> unroutedBands, Duration retryInitial, Duration retryMax, int retryAttempts,
                              int breakerFailures, Duration breakerOpen, int targetConcurrency, Duration dedupRetention,
                              int metricsPort, boolean receiptAtRequestTime) {

    /** {@code bootstrap.servers}; every Kafka connection setting (TLS, SASL) is in {@link #kafka()}. */
    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }

    public String registryUrl() {
        return registry.get(SchemaRegistries.URL_CONFIG);
    }

    /** What a route sends. */
    public enum Kind {
        /** Owner notifications (single, digest) to the routed owner. */
        OWNER,
        /** Escalation steps to the team's escalation chain. */
        ESCALATION,
        /** SLA warnings, breaches and reminders. */
        SLA,
        /** Unrouted-queue entries and threshold crossings. */
        UNROUTED
    }

    /**
     * A routing rule: alerts of these kinds, for these teams and bands, go to these targets. A null set means any.
     * The targets of every matching rule are used (a union).
     */
    public record Route(String name, Set<Kind> kinds, Set<String> teams, Set<SeverityBand> bands, List<String> targets) {
        public boolean matches(Kind kind, String team, SeverityBand band) {
            return (kinds == null || kinds.contains(kind)) && (teams == null || (team != null && teams.contains(team)))
                    && (bands == null || bands.contains(band));
        }
    }

    public static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>();
        d.put("bootstrap.servers", "localhost:9092");
        d.put("topic.prefix", "handoff.");
        d.put("schema.registry.url", "embedded");
        d.put("alerter.instance.id", "alerter-" + hostname());
        d.put("alerter.group.id", "handoff-sla-alerter");
        d.put("alerter.ack.base-url", "http://localhost:8091");
        d.put("alerter.ack.ttl", "P7D");
        d.put("alerter.digest.interval", "PT1H");
        d.put("alerter.digest.bands", "medium,low,info");
        d.put("alerter.quiet.bands", "medium,low,info");
        d.put("alerter.calendar.zone", "UTC");
        d.put("alerter.calendar.work-days", "MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY");
        d.put("alerter.calendar.work-start", "09:00");
        d.put("alerter.calendar.work-end", "17:00");
        d.put("alerter.escalation.after", "PT4H");
        d.put("alerter.escalation.loops", "1");
        d.put("alerter.unrouted.bands", "critical,high");
        d.put("alerter.retry.initial", "PT5S");
        d.put("alerter.retry.max", "PT10M");
        d.put("alerter.retry.attempts", "12");
        d.put("alerter.breaker.failures", "5");
        d.put("alerter.breaker.open", "PT30S");
        d.put("alerter.target.concurrency", "4");
        d.put("alerter.dedup.retention", "P30D");
        d.put("alerter.metrics.port", "8093");
        d.put("alerter.receipt.time", "delivery");
        d.put("alerter.smtp.port", "25");
        d.put("alerter.smtp.starttls", "false");
        d.put("alerter.smtp.timeout", "PT10S");
        return d;
    }

    /** Defaults overridden by {@code overrides}, then by the environment. */
    public static AlerterSettings from(Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> v = ServiceConfig.layered(defaults(), overrides, env);
        return new Parser(v).parse();
    }

    /** The calendar of an owner's quiet hours: the configured one, in the owner's own zone when known. */
    public WorkCalendar calendarFor(String ownerZone) {
        if (ownerZone == null || ownerZone.isBlank() || ownerZone.equals(calendar.getZone())) {
            return WorkCalendar.of(calendar);
        }
        try {
            return WorkCalendar.of(BusinessCalendar.newBuilder(calendar).setZone(ownerZone).build());
        } catch (RuntimeException badZone) {
            return WorkCalendar.of(calendar);
        }
    }

    /** The targets for an alert of {@code kind}, team and band: the union of the matching routes, in configured order. */
    public List<Target> targetsFor(Kind kind, String team, SeverityBand band) {
        Map<String, Target> out = new LinkedHashMap<>();
        for (Route r : routes) {
            if (r.matches(kind, team, band)) {
                r.targets().forEach(t -> out.put(t, targets.get(t)));
            }
        }
        return List.copyOf(out.values());
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            return "local";
        }
    }

    /** Parses every key, collecting all problems before failing. */
    private static final class Parser {
        private final Map<String, String> v;
        private final List<String> problems = new ArrayList<>();

        Parser(Map<String, String> v) {
            this.v = v;
        }

        AlerterSettings parse() {
            Map<String, Target> targets = targets();
            SmtpSettings smtp = null;
            if (v.get("alerter.smtp.host") != null) {
                smtp = new SmtpSettings(v.get("alerter.smtp.host"), integer("alerter.smtp.port", 1), required("alerter.smtp.from"),
                        v.get("alerter.smtp.username"), v.get("alerter.smtp.password"), bool("alerter.smtp.starttls"),
                        duration("alerter.smtp.timeout"));
            } else if (targets.values().stream().anyMatch(t -> t.type() == ChannelType.EMAIL)) {
                problems.add("an e-mail target is configured but alerter.smtp.host is not");
            }
            List<Route> routes = routes(targets);
            String secret = v.get("alerter.ack.secret");
            if (secret != null && secret.length() < 16) {
                problems.add("alerter.ack.secret must be at least 16 characters (the intake's intake.ack.secret)");
            }
            BusinessCalendar calendar = calendar();
            AlerterSettings s = new AlerterSettings(KafkaClientSettings.of(v), v.get("topic.prefix"), SchemaRegistries.settingsIn(v),
                    v.get("alerter.instance.id"), v.get("alerter.group.id"), secret, v.get("alerter.ack.base-url"),
                    duration("alerter.ack.ttl"), targets, smtp, routes, duration("alerter.digest.interval"), bands("alerter.digest.bands"),
                    bands("alerter.quiet.bands"), calendar, duration("alerter.escalation.after"), integer("alerter.escalation.loops", 0),
                    bands("alerter.unrouted.bands"), duration("alerter.retry.initial"), duration("alerter.retry.max"),
                    integer("alerter.retry.attempts", 1), integer("alerter.breaker.failures", 1), duration("alerter.breaker.open"),
                    integer("alerter.target.concurrency", 1), duration("alerter.dedup.retention"), integer("alerter.metrics.port", -1),
                    receiptTime());
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("bad alerter settings:\n  - " + String.join("\n  - ", problems));
            }
            return s;
        }

        private Map<String, Target> targets() {
            Map<String, Target> out = new LinkedHashMap<>();
            Set<String> names = new TreeSet<>();
            for (String key : v.keySet()) {
                if (key.startsWith("alerter.target.") && key.indexOf('.', "alerter.target.".length()) > 0
                        && !key.equals("alerter.target.concurrency")) {
                    names.add(key.substring("alerter.target.".length(), key.indexOf('.', "alerter.target.".length())));
                }
            }
            for (String name : names) {
                String p = "alerter.target." + name + ".";
                String typeName = v.get(p + "type");
                ChannelType type;
                try {
                    type = ChannelType.valueOf(String.valueOf(typeName).trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    problems.add(p + "type must be one of webhook, slack, teams, pagerduty, email; was '" + typeName + "'");
                    continue;
                }
                URI url = null;
                String u = v.get(p + "url");
                if (u != null && !u.isBlank()) {
                    try {
                        url = URI.create(u.trim());
                        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                            problems.add(p + "url must be an http or https URL");
                        }
                    } catch (IllegalArgumentException e) {
                        problems.add(p + "url is not a URL: " + e.getMessage());
                    }
                } else if (type == ChannelType.PAGERDUTY) {
                    url = Target.PAGERDUTY_EVENTS_V2;
                } else if (type != ChannelType.EMAIL) {
                    problems.add(p + "url is required for a " + type.name().toLowerCase(Locale.ROOT) + " target");
                }
                if (type == ChannelType.PAGERDUTY && (v.get(p + "routing-key") == null || v.get(p + "routing-key").isBlank())) {
                    problems.add(p + "routing-key (the PagerDuty integration key) is required");
                }
                List<String> mailTo = list(v.get(p + "mail-to"));
                Duration timeout = v.containsKey(p + "timeout") ? duration(p + "timeout") : Duration.ofSeconds(10);
                int perMinute = v.containsKey(p + "per-minute") ? integer(p + "per-minute", 0) : 0;
                out.put(name, new Target(name, type, url, v.get(p + "secret"), v.get(p + "routing-key"), mailTo, timeout, perMinute));
            }
            return out;
        }

        private List<Route> routes(Map<String, Target> targets) {
            List<Route> routes = new ArrayList<>();
            shorthand(routes, "alerter.owner.targets", EnumSet.of(Kind.OWNER, Kind.ESCALATION));
            shorthand(routes, "alerter.soc.targets", EnumSet.of(Kind.SLA));
            shorthand(routes, "alerter.unrouted.targets", EnumSet.of(Kind.UNROUTED));
            Set<String> names = new TreeSet<>();
            for (String key : v.keySet()) {
                if (key.startsWith("alerter.route.") && key.indexOf('.', "alerter.route.".length()) > 0) {
                    names.add(key.substring("alerter.route.".length(), key.indexOf('.', "alerter.route.".length())));
                }
            }
            for (String name : names) {
                String p = "alerter.route." + name + ".";
                Set<Kind> kinds = null;
                String k = v.get(p + "kinds");
                if (k != null && !k.isBlank() && !k.trim().equals("*")) {
                    kinds = EnumSet.noneOf(Kind.class);
                    for (String one : list(k)) {
                        try {
                            kinds.add(Kind.valueOf(one.toUpperCase(Locale.ROOT)));
                        } catch (IllegalArgumentException e) {
                            problems.add(p + "kinds: unknown kind '" + one + "'; kinds are owner, escalation, sla, unrouted");
                        }
                    }
                }
                String t = v.get(p + "teams");
                Set<String> teams = t == null || t.isBlank() || t.trim().equals("*") ? null : Set.copyOf(list(t));
                String b = v.get(p + "bands");
                Set<SeverityBand> bands = b == null || b.isBlank() || b.trim().equals("*") ? null : bands(p + "bands");
                List<String> to = list(v.get(p + "targets"));
                if (to.isEmpty()) {
                    problems.add(p + "targets is required");
                }
                routes.add(new Route(name, kinds, teams, bands, to));
            }
            for (Route r : routes) {
                for (String t : r.targets()) {
                    if (!targets.containsKey(t)) {
                        problems.add("route '" + r.name() + "' names target '" + t + "', which is not configured (alerter.target." + t + ".type)");
                    }
                }
            }
            return List.copyOf(routes);
        }

        private void shorthand(List<Route> routes, String key, Set<Kind> kinds) {
            List<String> to = list(v.get(key));
            if (!to.isEmpty()) {
                routes.add(new Route(key, kinds, null, null, to));
            }
        }

        private BusinessCalendar calendar() {
            try {
                List<dev.handoff.avro.DayOfWeek> days = list(v.get("alerter.calendar.work-days")).stream()
                        .map(d -> dev.handoff.avro.DayOfWeek.valueOf(d.toUpperCase(Locale.ROOT))).toList();
                BusinessCalendar c = WorkCalendar.officeHours(v.get("alerter.calendar.zone"), v.get("alerter.calendar.country"),
                                v.get("alerter.calendar.subdivision"))
                        .setWorkingDays(days)
                        .setWorkStart(LocalTime.parse(v.get("alerter.calendar.work-start").trim()))
                        .setWorkEnd(LocalTime.parse(v.get("alerter.calendar.work-end").trim()))
                        .build();
                List<String> wrong = WorkCalendar.problems(c);
                wrong.forEach(w -> problems.add("alerter.calendar: " + w));
                return c;
            } catch (RuntimeException e) {
                problems.add("alerter.calendar.*: " + e.getMessage());
                return WorkCalendar.officeHours("UTC", null, null).build();
            }
        }

        /** {@code delivery} (live): a receipt's time is when the channel took it; {@code request} (replays): the request's event time. */
        private boolean receiptTime() {
            String s = String.valueOf(v.get("alerter.receipt.time")).trim();
            if (!s.equals("delivery") && !s.equals("request")) {
                problems.add("alerter.receipt.time must be 'delivery' (live) or 'request' (replays of past events), was '" + s + "'");
            }
            return s.equals("request");
        }

        private String required(String key) {
            String s = v.get(key);
            if (s == null || s.isBlank()) {
                problems.add(key + " is required");
            }
            return s;
        }

        private Duration duration(String key) {
            String s = v.get(key);
            try {
                Duration d = Duration.parse(String.valueOf(s).trim());
                if (d.isNegative()) {
                    problems.add(key + " must not be negative, was " + s);
                }
                return d;
            } catch (RuntimeException e) {
                problems.add(key + " must be an ISO-8601 duration such as PT5M or P1D, was '" + s + "'");
                return Duration.ZERO;
            }
        }

        private int integer(String key, int min) {
            String s = v.get(key);
            try {
                int n = Integer.parseInt(String.valueOf(s).trim());
                if (n < min) {
                    problems.add(key + " must be at least " + min + ", was " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(key + " must be a whole number, was '" + s + "'");
                return min;
            }
        }

        private boolean bool(String key) {
            String s = String.valueOf(v.get(key)).trim();
            if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
                problems.add(key + " must be true or false, was '" + s + "'");
            }
            return Boolean.parseBoolean(s);
        }

        private Set<SeverityBand> bands(String key) {
            Set<SeverityBand> out = EnumSet.noneOf(SeverityBand.class);
            for (String b : list(v.get(key))) {
                try {
                    out.add(SeverityBand.valueOf(b.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    problems.add(key + ": unknown band '" + b + "'; bands are " + Arrays.toString(SeverityBand.values()).toLowerCase(Locale.ROOT));
                }
            }
            return out;
        }

        private static List<String> list(String s) {
            if (s == null || s.isBlank()) {
                return List.of();
            }
            return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
        }
    }
}
