#!/bin/sh
# Starts the image's service: java, the service's classpath and its main class, with the container's arguments.
# JAVA_OPTS adds JVM options (heap, GC); LOG_LEVEL sets the level of Handoff's own loggers (INFO).
set -eu

# The streams query API forwards a request to the instance that owns the key, at that instance's application.server.
# In a container that address is only known at start, so with ADVERTISE_CONTAINER_ADDRESS=true each instance
# advertises its own IP (and HANDOFF_QUERY_PORT), unless HANDOFF_APPLICATION_SERVER is set.
if [ "${ADVERTISE_CONTAINER_ADDRESS:-false}" = "true" ] && [ -z "${HANDOFF_APPLICATION_SERVER:-}" ]; then
  address="$(hostname -i 2>/dev/null | cut -d' ' -f1)"
  HANDOFF_APPLICATION_SERVER="${address:-$(cat /etc/hostname)}:${HANDOFF_QUERY_PORT:-8090}"
  export HANDOFF_APPLICATION_SERVER
fi

# JAVA_OPTS is split on spaces on purpose: it holds several options.
# shellcheck disable=SC2086
exec java -XX:MaxRAMPercentage=75 ${JAVA_OPTS:-} -Dlogback.configurationFile=/app/logback.xml \
  -cp "/app/lib/*" "$MAIN_CLASS" "$@"
