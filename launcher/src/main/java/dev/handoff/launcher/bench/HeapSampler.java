package dev.handoff.launcher.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * Heap use during a phase: the highest heap in use (sampled every 100 ms, so a peak between samples is missed) and
 * the highest old generation left after a collection, which is what the phase kept alive. Whole JVM: the in-process
 * broker and the bench's clients share it with the streams service.
 */
final class HeapSampler implements AutoCloseable {

    private final Thread thread;
    private volatile boolean running = true;
    private volatile long peakUsed;
    private volatile long peakAfterGc;

    HeapSampler() {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        thread = new Thread(() -> {
            while (running) {
                long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                peakUsed = Math.max(peakUsed, used);
                long afterGc = 0;
                for (MemoryPoolMXBean p : heap) {
                    if (p.getCollectionUsage() != null && p.getName().contains("Old")) {
                        afterGc += p.getCollectionUsage().getUsed();
                    }
                }
                peakAfterGc = Math.max(peakAfterGc, afterGc);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    long peakUsed() {
        return peakUsed;
    }

    long peakOldAfterGc() {
        return peakAfterGc;
    }

    static long maxHeap() {
        return Runtime.getRuntime().maxMemory();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
