package dev.handoff.launcher.bench;

import dev.handoff.avro.SeverityBand;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The knobs of the synthetic programme {@code ./handoff bench} generates: band mix, stage delays (log-normal, by median
 * and spread), the rates at which each failure mode is injected, and the size of the directory. Every knob has a
 * default and can be overridden with {@code --param key=value}; {@link #describe()} lists them all.
 */
public final class BenchProfile {

    private final Map<String, String> values;

    private BenchProfile(Map<String, String> values) {
        this.values = values;
    }

    /** Every knob with its default. Durations are ISO-8601, rates fractions of the findings they apply to. */
    public static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>();
        d.put("band.critical", "0.05");
        d.put("band.high", "0.20");
        d.put("band.medium", "0.40");
        d.put("band.low", "0.30");
        d.put("band.info", "0.05");
        // Time to acknowledge, by band at capture: log-normal with this median and spread (sigma of the log).
        d.put("ack.median.critical", "PT2H");
        d.put("ack.median.high", "PT16H");
        d.put("ack.median.medium", "P2D");
        d.put("ack.median.low", "P5D");
        d.put("ack.median.info", "P7D");
        d.put("ack.sigma", "1.0");
        d.put("receipt.median", "PT2M");
        d.put("receipt.sigma", "0.5");
        d.put("triage.after.ack", "PT4H");
        d.put("fix.median", "P3D");
        d.put("verify.median", "P1D");
        d.put("stage.sigma", "0.8");
        // Failure modes and other paths, as shares of findings.
        d.put("rate.binding-gap", "0.03");
        d.put("rate.group-inbox", "0.02");
        d.put("rate.decayed-routing", "0.03");
        d.put("rate.critical-asset", "0.04");
        d.put("rate.severity-raise", "0.02");
        d.put("rate.no-ack", "0.08");
        d.put("rate.inferred-ack", "0.05");
        d.put("rate.noise", "0.02");
        d.put("rate.duplicate", "0.10");
        d.put("rate.false-positive", "0.40");
        d.put("rate.triage", "0.70");
        d.put("rate.start-work", "0.60");
        d.put("rate.resolve", "0.70");
        d.put("rate.verify", "0.80");
        d.put("rate.reopen", "0.03");
        // Directory: one person per this many findings (enough people that ordinary load stays under the noise
        // thresholds), people per team, findings per noisy burst.
        d.put("findings.per.owner", "40");
        d.put("team.size", "20");
        d.put("noise.burst", "30");
        return d;
    }

    public static BenchProfile defaultProfile() {
        return new BenchProfile(defaults());
    }

    /** The defaults overridden by {@code key=value} pairs; an unknown key or a bad value is refused with the known keys. */
    public static BenchProfile of(Map<String, String> overrides) {
        Map<String, String> v = new TreeMap<>(defaults());
        overrides.forEach((k, val) -> {
            if (!v.containsKey(k)) {
                throw new IllegalArgumentException("unknown bench parameter '" + k + "'; known: " + String.join(", ", v.keySet()));
            }
            v.put(k, val.trim());
        });
        BenchProfile p = new BenchProfile(v);
        p.validate();
        return p;
    }

    private void validate() {
        double sum = 0;
        for (SeverityBand b : SeverityBand.values()) {
            double share = rate("band." + b.name().toLowerCase(Locale.ROOT));
            sum += share;
        }
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new IllegalArgumentException("band.* shares must add up to 1, they add up to " + sum);
        }
        values.keySet().forEach(k -> {
            if (k.startsWith("rate.")) {
                rate(k);
            } else if (k.contains("median") || k.endsWith(".after.ack")) {
                duration(k);
            } else if (k.endsWith("sigma")) {
                number(k);
            }
        });
        if (integer("findings.per.owner") < 1 || integer("team.size") < 3 || integer("noise.burst") < 1) {
            throw new IllegalArgumentException("findings.per.owner and noise.burst must be at least 1 and team.size at least 3");
        }
    }

    public double bandShare(SeverityBand band) {
        return rate("band." + band.name().toLowerCase(Locale.ROOT));
    }

    public Map<SeverityBand, Duration> ackMedians() {
        Map<SeverityBand, Duration> m = new EnumMap<>(SeverityBand.class);
        for (SeverityBand b : SeverityBand.values()) {
            m.put(b, duration("ack.median." + b.name().toLowerCase(Locale.ROOT)));
        }
        return m;
    }

    /** A share between 0 and 1. */
    public double rate(String key) {
        double r = number(key);
        if (r < 0 || r > 1) {
            throw new IllegalArgumentException(key + " must be between 0 and 1, was " + r);
        }
        return r;
    }

    public double number(String key) {
        try {
            return Double.parseDouble(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + get(key) + "'");
        }
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, was '" + get(key) + "'");
        }
    }

    public Duration duration(String key) {
        try {
            Duration d = Duration.parse(get(key));
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(key + " must be positive, was " + d);
            }
            return d;
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(key + " must be an ISO-8601 duration such as PT2H or P3D, was '" + get(key) + "'");
        }
    }

    private String get(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("unknown bench parameter '" + key + "'");
        }
        return v;
    }

    /** {@code key=value} of every knob, for the run's header and the dump. */
    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }
}
