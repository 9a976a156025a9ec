/**
 * Bad input (DESIGN.md section 7): {@link dev.handoff.streams.input.InputRules} says what an input record must meet
 * before the app takes it, and {@link dev.handoff.streams.input.DeadLetters} turns one it cannot take into a dead
 * letter that always fits on the log.
 */
package dev.handoff.streams.input;
