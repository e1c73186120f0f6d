#!/usr/bin/env bash
# How long one MQTT Grid node takes to start against a state database that holds N persistent sessions (each
# offline, one subscription, one queued QoS 1 message) and N retained messages, as after a restart of the
# whole cluster (docs/persistence.md, "What it costs"). For each N and each store (the embedded H2 file, and
# PostgreSQL by embedded-postgres: PostgreSQL's own binaries from Maven, on loopback), the store is filled
# through the broker's own maps and stores, then target/mqttgrid.jar is started against it as a process of its
# own; printed: the time from that process's start to /health/ready 200, and the counts of its start log line
# (`retained messages N, sessions brought back N`). Each store is also started empty, for the start's own cost.
# (io.mqttgrid.persistence.RestoreBenchmark, test sources.)
#
#   load-tests/scripts/restore-time.sh              # N = 10000 and 100000
#   load-tests/scripts/restore-time.sh 1000
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/cp.txt)" \
  io.mqttgrid.persistence.RestoreBenchmark target/mqttgrid.jar "${sizes[@]}" 2>&1 |
  grep -E '^\||Exception|did not get ready'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
