package dev.handoff.streams;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the streams service on its own: {@code HandoffStreamsMain [config.properties]}, then environment
 * overrides ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code HANDOFF_SLA_CLOCK}, ...). Stops cleanly on SIGTERM/Ctrl-C.
 */
public final class HandoffStreamsMain {

    private HandoffStreamsMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> file = new HashMap<>();
        if (args.length > 0) {
            file.putAll(load(Path.of(args[0])));
        }
        StreamsSettings settings;
        try {
            settings = StreamsSettings.from(file, System.getenv());
            settings.lifecycle();
        } catch (IllegalArgumentException e) {
            System.err.println("handoff-streams: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println("handoff-streams settings (defaults, then file, then environment):");
        settings.asMap().forEach((k, v) -> System.out.println("  " + k + " = " + v));
        CountDownLatch stopped = new CountDownLatch(1);
        HandoffStreamsApp app = new HandoffStreamsApp(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "handoff-streams-shutdown"));
        app.start();
        stopped.await();
    }

    private static Map<String, String> load(Path path) throws IOException {
        if (!Files.isReadable(path)) {
            System.err.println("handoff-streams: cannot read configuration file " + path.toAbsolutePath());
            System.exit(2);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path)) {
            p.load(r);
        }
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }
}
