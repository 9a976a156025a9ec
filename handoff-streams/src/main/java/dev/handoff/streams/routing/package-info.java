/**
 * Asset binding and owner routing (DESIGN.md stages 2 and 3): {@link dev.handoff.streams.routing.AliasIndex} binds a
 * finding's target to an asset, {@link dev.handoff.streams.routing.OwnerResolver} turns the asset into a named owner
 * or an unrouted cause, and {@link dev.handoff.streams.routing.Dependencies} says which records to watch for re-routing.
 */
package dev.handoff.streams.routing;
