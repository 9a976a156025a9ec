package dev.handoff.alerter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/** Runs the alerter: {@code java -cp … dev.handoff.alerter.AlerterMain [alerter.properties]}. */
public final class AlerterMain {

    private AlerterMain() {
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
        AlerterSettings settings;
        try {
            settings = AlerterSettings.from(config, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("handoff alerter: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.targets().isEmpty()) {
            System.err.println("handoff alerter: no alerter.target.<name>.type configured; there is nowhere to deliver to");
            System.exit(2);
        }
        Alerter alerter = Alerter.start(settings, Channels.standard(settings));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            alerter.close();
            stop.countDown();
        }));
        stop.await();
    }
}
