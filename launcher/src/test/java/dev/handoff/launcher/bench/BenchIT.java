package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./handoff bench} end to end on the real in-process broker with a small programme: the pipeline's metrics
 * match the ground truth (counts exactly, quantiles within the sketch's 1 %), every breach alert of the wall-clock phase
 * arrives, and the {@code --dump} files recompute to the same numbers without the pipeline. Timings are printed, never
 * asserted.
 */
@Tag("integration")
class BenchIT {

    @TempDir
    Path tmp;

    @Test
    void aSmallProgrammeIsMeasuredExactlyAndItsDumpRecomputesToTheSameMetrics() throws Exception {
        Path dump = tmp.resolve("dump");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        BenchRun run = new BenchRun(new BenchRun.Options(20_000, 11, 21, 3, 2, dump, 20, 50, true, BenchProfile.defaultProfile(), Map.of()),
                new PrintStream(printed, true, StandardCharsets.UTF_8));
        int exit = run.run();
        String out = printed.toString(StandardCharsets.UTF_8);
        System.out.print(out);

        BenchRun.Figures f = run.figures();
        assertEquals(0, exit, "the bench's exit code says the metrics matched:\n" + out);
        assertTrue(f.accuracy().exact(), () -> "differences: " + f.accuracy().differences());
        for (Accuracy.Band b : f.accuracy().bands()) {
            assertTrue(b.p50Error() != null && b.p50Error() <= Accuracy.SKETCH_ERROR, b.toString());
            assertTrue(b.p90Error() != null && b.p90Error() <= Accuracy.SKETCH_ERROR, b.toString());
        }
        assertEquals(f.accuracy().unroutedDepth()[0], f.accuracy().unroutedDepth()[1], "unrouted depth is exact");
        assertTrue(f.handoff() > 0 && f.eosCount() > 0 && f.raw() > 0, out);
        assertEquals(0, f.breach().missing(), "every breach alert of the wall-clock phase arrived");
        assertEquals(50, f.history().findings(), out);
        assertEquals(0, f.history().failed(), () -> "every history query answered: " + f.history().firstFailure());
        assertTrue(f.history().meanTimelineEntries() >= 1, "a finding's timeline holds at least its capture: " + f.history().format());
        assertTrue(out.contains("goals:"), out);
        assertTrue(f.diskStateBytes() > 0 && f.memtableBytes() > 0 && f.memtableBytes() < f.liveStateBytes(),
                "state measured on disk and live, memtables a part of live: " + f);

        for (String file : new String[] {BenchDump.EVENTS, BenchDump.ROWS, BenchDump.GAUGES, BenchDump.RUN}) {
            assertTrue(Files.size(dump.resolve(file)) > 0, file + " written");
        }
        JsonNode state = new ObjectMapper().readTree(dump.resolve(BenchDump.RUN).toFile()).path("state");
        assertEquals(f.diskStateBytes(), state.path("disk_bytes").asLong(), "run.json states the figures printed: " + state);
        assertEquals(f.openFindings(), state.path("open_findings").asLong());
        assertEquals(f.diskStateBytes() / f.openFindings(), state.path("disk_bytes_per_open_finding").asLong());
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Accuracy.Result recomputed = BenchDump.recompute(dump, new PrintStream(again, true, StandardCharsets.UTF_8));
        System.out.print(again.toString(StandardCharsets.UTF_8));
        assertTrue(recomputed.exact(), () -> "the dump recomputes to the pipeline's rows: " + recomputed.differences());
        assertEquals(f.accuracy().bands(), recomputed.bands(), "the same numbers from the raw log alone");
        assertEquals(f.accuracy().rows(), recomputed.rows());
    }
}
