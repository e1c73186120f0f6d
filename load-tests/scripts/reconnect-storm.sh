#!/usr/bin/env bash
# A node dies and its devices come back elsewhere: a 3-node MQTT Grid cluster on this machine, CLIENTS devices with
# persistent sessions and one QoS 1 subscription each on node 1, kill -9 of node 1, every device reconnecting with
# Clean Start 0 to node 2 or 3 after a random back-off of up to JITTER_MS (io.mqttgrid.load.ReconnectStorm). DURING_MS
# (default 1000) after the kill, one QoS 1 message goes to every device from node 3 (refusals retried every second:
# it reaches sessions being adopted and taken over); after the storm, another one from node 2. Prints the time from
# the kill to the last CONNACK, the reconnect latencies, Session Present counts, refused attempts, the survivors' CPU
# during the storm and how many devices got their messages, then what the survivors' logs say about adoption and step-down timeouts, and the load average.
#
#   load-tests/scripts/reconnect-storm.sh            # CLIENTS=5000 JITTER_MS=2000 CONCURRENCY=200
#   CLIENTS=15000 load-tests/scripts/reconnect-storm.sh
#
# Needs the broker jar (built here if missing; JAR=path runs another build, e.g. one of main's HEAD to compare).
# The generator holds CLIENTS sockets and node 1 as many: the file limit (ulimit -n, raised here where allowed)
# bounds CLIENTS. NODE_ARGS adds broker options to every node, NODE_JAVA_OPTS JVM options; JFR=1 records a flight
# recording of each node into the logs directory (n2.jfr, n3.jfr: `jfr print --events jdk.ExecutionSample`).
# Ports (loopback): MQTT 2192n, management 2172n (/health/ready), Hazelcast 2162n, event bus 2152n, n = 1..3.
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${CLIENTS:-5000}
jitter=${JITTER_MS:-2000}
concurrency=${CONCURRENCY:-200}
during=${DURING_MS:-1000}

jar=${JAR:-target/mqttgrid.jar}
[ -f "$jar" ] || mvn -B -q -DskipTests package
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml compile
logs=$(mktemp -d)
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile="$logs/cp" >/dev/null
cp="load-tests/target/classes:$(cat "$logs/cp")"
ulimit -n 65536 2>/dev/null || true

members=127.0.0.1:21621,127.0.0.1:21622,127.0.0.1:21623
pids=()
stop_nodes() {
  # a flight recording is written when its JVM exits normally: stop gracefully first, kill what hangs
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  echo "logs: $logs"
}
trap stop_nodes EXIT
for n in 1 2 3; do
  jfr=()
  [ "${JFR:-0}" = 1 ] && jfr=("-XX:StartFlightRecording=filename=$logs/n$n.jfr,settings=profile,dumponexit=true")
  # the per-address caps protect a node from one noisy address; the generator is one address
  # shellcheck disable=SC2086
  java -Xmx1g -XX:+ExitOnOutOfMemoryError "${jfr[@]}" ${NODE_JAVA_OPTS:-} -jar "$jar" --set node.id=n$n \
    --set mqtt.port=2192$n --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 \
    --set http.port=-1 --set http.tls-port=-1 --set management.port=2172$n \
    --set cluster.mode=tcp --set cluster.members=$members --set cluster.interface=127.0.0.1 \
    --set cluster.port=2162$n --set cluster.eventbus-port=2152$n --set auth.anonymous=true \
    --set mqtt.connect-rate-per-address=0 --set mqtt.max-unauthenticated-connections=0 \
    --set mqtt.max-unauthenticated-per-address=0 ${NODE_ARGS:-} >"$logs/n$n.log" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do
  for attempt in $(seq 1 180); do
    body=$(curl -s -m 2 "http://127.0.0.1:2172$n/health/ready" || true)
    [[ $body == *'"UP"'*'"members":3'* ]] && break
    [ "$attempt" = 180 ] && { echo "node n$n not ready after 180 s: $body" >&2; exit 1; }
    sleep 1
  done
done
echo "3 nodes ready; $clients devices on n1, then kill -9 of n1 (logs in $logs)"
printf '<configuration><root level="WARN"/></configuration>\n' >"$logs/logback.xml"
set +e
java -Dlogback.configurationFile="$logs/logback.xml" -cp "$cp" io.mqttgrid.load.ReconnectStorm \
  --ports 21921,21922,21923 --clients "$clients" --jitter-ms "$jitter" --concurrency "$concurrency" \
  --victim-pid "${pids[0]}" --survivor-pids "${pids[1]},${pids[2]}" --publish-during-ms "$during" \
  | tee "$logs/storm.log"
status=${PIPESTATUS[0]}
set -e
echo "adopter's log: $(grep -h -E 'took over|handled in|purged' "$logs"/n[23].log | tr '\n' ' ')"
echo "step-down timeouts (did not step down): $(cat "$logs"/n[23].log | grep -c 'did not step down' || true);" \
  "retire timeouts: $(cat "$logs"/n[23].log | grep -c 'did not retire' || true);" \
  "stale copies retired on a refused append: $(cat "$logs"/n[23].log | grep -c 'the stale copy here is retired' || true)"
uptime
exit "$status"
