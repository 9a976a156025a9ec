package dev.handoff.streams.routing;

import java.util.Optional;

/**
 * CIDR blocks keyed by their canonical text, probed from the longest prefix length in use down to the shortest:
 * at most 33 (IPv4) or 129 (IPv6) hash lookups per address, however many assets there are.
 */
final class CidrTable implements AliasTable {

    private final Claims claims = new Claims("CIDR", true);
    // How many (block, asset) claims exist per prefix length, so lookups skip lengths nobody uses.
    private final int[] v4 = new int[33];
    private final int[] v6 = new int[129];

    @Override
    public boolean add(String key, String assetId) {
        IpAddresses.Block block = block(key);
        if (!claims.add(key, assetId)) {
            return false;
        }
        counts(block.network())[block.prefix()]++;
        return true;
    }

    @Override
    public boolean remove(String key, String assetId) {
        IpAddresses.Block block = block(key);
        if (!claims.remove(key, assetId)) {
            return false;
        }
        counts(block.network())[block.prefix()]--;
        return true;
    }

    /** The most specific block containing {@code address}, as (winning asset id, block text). */
    Optional<AliasIndex.Binding> longest(byte[] address) {
        int[] counts = counts(address);
        for (int prefix = counts.length - 1; prefix >= 0; prefix--) {
            if (counts[prefix] == 0) {
                continue;
            }
            String key = new IpAddresses.Block(IpAddresses.mask(address, prefix), prefix).text();
            String winner = claims.winner(key);
            if (winner != null) {
                return Optional.of(new AliasIndex.Binding(winner, AliasIndex.AliasKind.CIDR, key));
            }
        }
        return Optional.empty();
    }

    private int[] counts(byte[] address) {
        return address.length == 4 ? v4 : v6;
    }

    private static IpAddresses.Block block(String key) {
        return IpAddresses.parseBlock(key)
                .orElseThrow(() -> new IllegalArgumentException("not a canonical CIDR key: " + key));
    }
}
