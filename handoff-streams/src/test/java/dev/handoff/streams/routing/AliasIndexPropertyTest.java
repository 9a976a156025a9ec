package dev.handoff.streams.routing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.handoff.streams.routing.AliasIndex.AliasKind;
import dev.handoff.streams.routing.AliasIndex.Binding;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.arbitraries.ListArbitrary;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.handoff.streams.routing.Fixtures.asset;
import static dev.handoff.streams.routing.Fixtures.target;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The index against brute-force oracles: a scan over every live alias that the index exists to avoid. */
class AliasIndexPropertyTest {

    private static final int HOSTS = 8;
    private static Level savedLevel;

    /** Random alias sets contest aliases on purpose; hundreds of expected conflict warnings would bury real output. */
    @BeforeContainer
    static void quietConflictWarnings() {
        if (LoggerFactory.getLogger(AliasIndex.class) instanceof Logger logger) {
            savedLevel = logger.getLevel();
            logger.setLevel(Level.ERROR);
        }
    }

    @AfterContainer
    static void restoreWarnings() {
        if (LoggerFactory.getLogger(AliasIndex.class) instanceof Logger logger) {
            logger.setLevel(savedLevel);
        }
    }

    /** A register change: put asset {@code asset} with these host numbers, or delete it. */
    record Change(int asset, Set<Integer> hosts, boolean delete) {
    }

    record Block(String assetId, byte[] address, int prefix) {
    }

    record Prefix(String assetId, List<String> segments) {
    }

    // ------------------------------------------------------------------ put / remove

    @Provide
    Arbitrary<List<Change>> changes() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 5),
                        Arbitraries.integers().between(0, HOSTS - 1).set().ofMaxSize(3),
                        Arbitraries.frequency(Tuple.of(1, true), Tuple.of(3, false)))
                .as(Change::new)
                .list().ofMaxSize(30);
    }

    @Property(tries = 300)
    void bindNeverReturnsARemovedAssetAndAgreesWithAScan(@ForAll("changes") List<Change> changes) {
        AliasIndex index = new AliasIndex();
        Map<String, Set<String>> live = new HashMap<>();
        for (Change c : changes) {
            String id = "asset-" + c.asset();
            if (c.delete()) {
                index.remove(id);
                live.remove(id);
            } else {
                Set<String> hosts = c.hosts().stream().map(AliasIndexPropertyTest::host).collect(Collectors.toSet());
                index.put(asset(id, a -> a.setHostnames(List.copyOf(hosts))));
                live.put(id, hosts);
            }
        }
        assertEquals(live.size(), index.size());
        for (int h = 0; h < HOSTS; h++) {
            String host = host(h);
            Optional<String> expected = live.entrySet().stream()
                    .filter(e -> e.getValue().contains(host))
                    .map(Map.Entry::getKey)
                    .min(Comparator.naturalOrder());
            Optional<String> actual = index.bind(target().setHost(host).build()).map(Binding::assetId);
            assertEquals(expected, actual, host);
        }
        for (int a = 0; a <= 5; a++) {
            String id = "asset-" + a;
            assertEquals(live.containsKey(id), index.bind(target().setAssetHint(id).build()).isPresent(), id);
        }
    }

    private static String host(int n) {
        return "h" + n + ".example.com";
    }

    // ------------------------------------------------------------------ CIDR longest prefix

    @Provide
    Arbitrary<List<Block>> v4Blocks() {
        return blocks(new byte[] {10, 0, 0, 0});
    }

    @Provide
    Arbitrary<List<byte[]>> v4Probes() {
        return addresses(new byte[] {10, 0, 0, 0}).list().ofMinSize(1).ofMaxSize(10);
    }

    @Provide
    Arbitrary<List<Block>> v6Blocks() {
        return blocks(v6Base());
    }

    @Provide
    Arbitrary<List<byte[]>> v6Probes() {
        return addresses(v6Base()).list().ofMinSize(1).ofMaxSize(10);
    }

    @Property(tries = 300)
    void ipv4ChosenBlockIsTheLongestContainingOne(@ForAll("v4Blocks") List<Block> blocks, @ForAll("v4Probes") List<byte[]> probes) {
        checkLongestBlock(blocks, probes);
    }

    @Property(tries = 200)
    void ipv6ChosenBlockIsTheLongestContainingOne(@ForAll("v6Blocks") List<Block> blocks, @ForAll("v6Probes") List<byte[]> probes) {
        checkLongestBlock(blocks, probes);
    }

    private static void checkLongestBlock(List<Block> blocks, List<byte[]> probes) {
        AliasIndex index = new AliasIndex();
        Map<String, List<String>> cidrsByAsset = new HashMap<>();
        for (Block b : blocks) {
            cidrsByAsset.computeIfAbsent(b.assetId(), k -> new ArrayList<>()).add(literal(b.address()) + "/" + b.prefix());
        }
        cidrsByAsset.forEach((id, cidrs) -> index.put(asset(id, a -> a.setIps(cidrs))));
        for (byte[] probe : probes) {
            Optional<Block> expected = blocks.stream()
                    .filter(b -> contains(b, probe))
                    .max(Comparator.comparingInt(Block::prefix).thenComparing(Block::assetId, Comparator.reverseOrder()));
            Optional<Binding> actual = index.bind(target().setIp(literal(probe)).build());
            assertEquals(expected.map(Block::assetId), actual.map(Binding::assetId), literal(probe));
            actual.ifPresent(hit -> {
                assertEquals(AliasKind.CIDR, hit.kind());
                int prefix = Integer.parseInt(hit.matched().substring(hit.matched().indexOf('/') + 1));
                assertEquals(expected.get().prefix(), prefix, hit.matched());
            });
        }
    }

    private static boolean contains(Block block, byte[] probe) {
        int shift = probe.length * 8 - block.prefix();
        return new BigInteger(1, block.address()).shiftRight(shift).equals(new BigInteger(1, probe).shiftRight(shift));
    }

    /** Blocks near one base address, prefixes within 24 bits of full length, so many blocks nest or overlap. */
    private static Arbitrary<List<Block>> blocks(byte[] base) {
        int bits = base.length * 8;
        return Combinators.combine(
                        Arbitraries.of("n-a", "n-b", "n-c", "n-d"),
                        addresses(base),
                        Arbitraries.integers().between(bits - 24, bits))
                .as(Block::new)
                .list().ofMaxSize(25);
    }

    /** The base with its last three bytes varied, the third-last only a little, so probes land in the blocks. */
    private static Arbitrary<byte[]> addresses(byte[] base) {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 3),
                        Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(0, 255))
                .as((x, y, z) -> {
                    byte[] a = base.clone();
                    a[a.length - 3] = (byte) (int) x;
                    a[a.length - 2] = (byte) (int) y;
                    a[a.length - 1] = (byte) (int) z;
                    return a;
                });
    }

    private static byte[] v6Base() {
        byte[] a = new byte[16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = (byte) 0xb8;
        return a;
    }

    /** Java's own text for the address, independent of the index's canonical form; no lookup for raw bytes. */
    private static String literal(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ------------------------------------------------------------------ URL prefix

    @Provide
    Arbitrary<List<Prefix>> prefixes() {
        return Combinators.combine(Arbitraries.of("u-a", "u-b", "u-c"), segments().ofMaxSize(3))
                .as(Prefix::new)
                .list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<List<String>>> paths() {
        return segments().ofMaxSize(4).list().ofMinSize(1).ofMaxSize(8);
    }

    private static ListArbitrary<String> segments() {
        return Arbitraries.of("a", "b", "ab", "a.b").list();
    }

    @Property(tries = 300)
    void urlPrefixIsTheLongestWholeSegmentPrefix(@ForAll("prefixes") List<Prefix> prefixes, @ForAll("paths") List<List<String>> paths) {
        AliasIndex index = new AliasIndex();
        Map<String, List<String>> byAsset = new HashMap<>();
        for (Prefix p : prefixes) {
            byAsset.computeIfAbsent(p.assetId(), k -> new ArrayList<>()).add(url(p.segments()));
        }
        byAsset.forEach((id, urls) -> index.put(asset(id, a -> a.setUrlPrefixes(urls))));
        for (List<String> path : paths) {
            Optional<Prefix> expected = prefixes.stream()
                    .filter(p -> p.segments().size() <= path.size() && path.subList(0, p.segments().size()).equals(p.segments()))
                    .max(Comparator.comparingInt((Prefix p) -> p.segments().size()).thenComparing(Prefix::assetId, Comparator.reverseOrder()));
            Optional<Binding> actual = index.bind(target().setUrl(url(path) + "?q=1").build());
            assertEquals(expected.map(Prefix::assetId), actual.map(Binding::assetId), url(path));
            actual.ifPresent(hit -> assertTrue(url(path).startsWith(hit.matched()), hit.matched()));
        }
    }

    private static String url(List<String> segments) {
        return "https://shop.example.com/" + String.join("/", segments);
    }
}
