package dev.handoff.streams.routing;

/** One lookup structure of the alias index, so an asset's aliases can be added and withdrawn uniformly. */
interface AliasTable {

    /** Records that {@code assetId} claims {@code key}; false when it already did. */
    boolean add(String key, String assetId);

    /** Withdraws the claim; false when there was none. */
    boolean remove(String key, String assetId);
}
