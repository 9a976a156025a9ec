package dev.handoff.ingest.intake;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/** Runs the intake: {@code java -cp … dev.handoff.ingest.intake.IntakeMain [intake.properties]}. */
public final class IntakeMain {

    private IntakeMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> config = new HashMap<>();
        if (args.length > 0) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
                p.load(in);
            }
            p.forEach((k, v) -> config.put((String) k, (String) v));
        }
        IntakeSettings settings;
        try {
            settings = IntakeSettings.from(config, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("handoff intake: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.tokens().isEmpty()) {
            System.err.println("handoff intake: no intake.token.<actor>=<roles>:<secret> configured; every request would be refused");
            System.exit(2);
        }
        IntakeServer server = IntakeServer.start(settings);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
    }
}
