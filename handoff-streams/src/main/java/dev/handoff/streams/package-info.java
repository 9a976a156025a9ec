/**
 * The Kafka Streams application: dedup, enrichment, routing, the six-stage state machine, SLA timers,
 * latency sketches and the query API (issues B and C).
 */
package dev.handoff.streams;
