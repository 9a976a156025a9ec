/**
 * Delivers breaches and owner notifications to their channels and reports each delivery back as
 * {@code NotificationDispatched} (issue E).
 */
package dev.handoff.alerter;
