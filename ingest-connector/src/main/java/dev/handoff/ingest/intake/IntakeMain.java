package dev.handoff.ingest.intake;

import dev.handoff.schemas.ServiceConfig;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

/** Runs the intake: {@code java -cp … dev.handoff.ingest.intake.IntakeMain [intake.properties]}. */
public final class IntakeMain {

    private IntakeMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        IntakeSettings settings;
        try {
            settings = IntakeSettings.from(ServiceConfig.fileOf(args), System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("handoff intake: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.tokens().isEmpty()) {
            System.err.println("handoff intake: no intake.token.<actor>=<roles>:<secret> configured; every request would be refused");
            System.exit(2);
        }
        IntakeServer server;
        try {
            server = IntakeServer.start(settings);
        } catch (IllegalStateException e) {
            System.err.println("handoff intake: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
    }
}
