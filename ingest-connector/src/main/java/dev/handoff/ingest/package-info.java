/**
 * How findings and people's actions get onto the log: scanner-report parsers, the HTTP intake API,
 * the Kafka Connect spool connector and the CLI, all producing {@code FindingReported} and
 * {@code LifecycleCommand} records (issue D).
 */
package dev.handoff.ingest;
