package dev.handoff.alerter;

import dev.handoff.schemas.ServiceConfig;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

/** Runs the alerter: {@code java -cp … dev.handoff.alerter.AlerterMain [alerter.properties]}. */
public final class AlerterMain {

    private AlerterMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        AlerterSettings settings;
        try {
            settings = AlerterSettings.from(ServiceConfig.fileOf(args), System.getenv());
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
