package dev.handoff.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.handoff.streams.metrics.LatencySketches;

import java.io.IOException;
import java.util.Arrays;

/**
 * What-if for the query path (benchmark code, not used by main code): merges a DDSketch protobuf
 * message (the bytes {@link LatencySketches#encode} writes, unchanged format) straight into a target
 * sketch with {@link CodedInputStream}, without building protobuf objects, boxing the bin counts or
 * decoding into an intermediate sketch first. Checks the index mapping like {@link LatencySketches#decode}.
 */
public final class StreamingProtoSketchMerge {

    private static final com.datadoghq.sketch.ddsketch.proto.IndexMapping EXPECTED =
            DDSketchProtoBinding.toProto(LatencySketches.create()).getMapping();

    private double[] contiguous = new double[1024];

    /** Adds every count of {@code bytes} to {@code target}. */
    public void mergeInto(DDSketch target, byte[] bytes) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            boolean mapped = false;
            int tag;
            while ((tag = in.readTag()) != 0) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        int limit = in.pushLimit(in.readRawVarint32());
                        checkMapping(in);
                        in.popLimit(limit);
                        mapped = true;
                    }
                    case 2 -> {
                        int limit = in.pushLimit(in.readRawVarint32());
                        readStore(in, target, false);
                        in.popLimit(limit);
                    }
                    case 3 -> {
                        int limit = in.pushLimit(in.readRawVarint32());
                        readStore(in, target, true);
                        in.popLimit(limit);
                    }
                    case 4 -> target.accept(0.0, in.readDouble());
                    default -> in.skipField(tag);
                }
            }
            if (!mapped) {
                throw new IllegalArgumentException("it has no index mapping");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a Handoff latency sketch: " + e.getMessage(), e);
        }
    }

    private static void checkMapping(CodedInputStream in) throws IOException {
        double gamma = 0;
        double offset = 0;
        int interpolation = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> gamma = in.readDouble();
                case 2 -> offset = in.readDouble();
                case 3 -> interpolation = in.readEnum();
                default -> in.skipField(tag);
            }
        }
        if (gamma != EXPECTED.getGamma() || offset != EXPECTED.getIndexOffset() || interpolation != EXPECTED.getInterpolationValue()) {
            throw new IllegalArgumentException("its index mapping (gamma " + gamma + ", offset " + offset + ", interpolation "
                    + interpolation + ") is not Handoff's, so it would not merge");
        }
    }

    private void readStore(CodedInputStream in, DDSketch target, boolean negative) throws IOException {
        int n = 0;
        int offset = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> { // map<sint32, double> entry
                    int limit = in.pushLimit(in.readRawVarint32());
                    int index = 0;
                    double count = 0;
                    int t;
                    while ((t = in.readTag()) != 0) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> index = in.readSInt32();
                            case 2 -> count = in.readDouble();
                            default -> in.skipField(t);
                        }
                    }
                    in.popLimit(limit);
                    add(target, negative, index, count);
                }
                case 2 -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int length = in.readRawVarint32();
                        int limit = in.pushLimit(length);
                        while (in.getBytesUntilLimit() > 0) {
                            n = append(n, in.readDouble());
                        }
                        in.popLimit(limit);
                    } else {
                        n = append(n, in.readDouble());
                    }
                }
                case 3 -> offset = in.readSInt32();
                default -> in.skipField(tag);
            }
        }
        for (int i = 0; i < n; i++) {
            add(target, negative, offset + i, contiguous[i]);
        }
    }

    private int append(int n, double v) {
        if (n == contiguous.length) {
            contiguous = Arrays.copyOf(contiguous, n * 2);
        }
        contiguous[n] = v;
        return n + 1;
    }

    private static void add(DDSketch target, boolean negative, int index, double count) {
        if (count == 0) {
            return;
        }
        if (negative) {
            throw new IllegalArgumentException("it holds negative values, which are not latencies");
        }
        target.getPositiveValueStore().add(index, count);
    }
}
