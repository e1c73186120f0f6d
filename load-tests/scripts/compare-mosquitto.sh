#!/usr/bin/env bash
# Throughput of MQTT Grid and Mosquitto on this machine, same tool, same run: one MQTT 5 publisher to one
# subscriber on loopback, QoS 0 and QoS 1. Needs the broker jar (mvn -DskipTests package) and the
# mosquitto package (apt-get install mosquitto). Usage: load-tests/scripts/compare-mosquitto.sh [messages]
# QOS (default "0 1"), ROUNDS (default 1, alternating which broker goes first) and SESSION_EXPIRY (default 0;
# above 0 the subscriber's session is persistent, so each QoS 1 message is queued in its session first) and
# BEFORE_JAR (another build of the broker, run as a third target in the same rounds), e.g.
#   QOS=1 ROUNDS=3 SESSION_EXPIRY=3600 load-tests/scripts/compare-mosquitto.sh 100000
# GRID_JAR: the jar measured as MQTT Grid (default target/mqttgrid.jar, built if missing), so that a build kept
# elsewhere can be measured while target/ changes. The first MQTT Grid run of an invocation is a cold JVM.
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-200000}
grid_port=18831
mosq_port=18832
before_port=18833
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install mosquitto)" >&2; exit 2; }
grid_jar=${GRID_JAR:-target/mqttgrid.jar}
[ -f "$grid_jar" ] || [ -n "${GRID_JAR:-}" ] || mvn -B -q -DskipTests package
[ -f "$grid_jar" ] || { echo "no jar at $grid_jar" >&2; exit 2; }
mvn -B -q -f load-tests/pom.xml compile

logs=$(mktemp -d)
grid() { # jar port log
  java -XX:+ExitOnOutOfMemoryError -jar "$1" --set mqtt.port=$2 --set mqtt.websocket-port=-1 --set http.port=-1 \
    --set management.port=-1 --set persistence.embedded.directory="$logs/data-$2" >"$3" 2>&1 &
}
grid "$grid_jar" $grid_port "$logs/grid.log"
grid_pid=$!
# BEFORE_JAR: a second MQTT Grid node from another build (say, before a change), measured in the same rounds
before_pid=
if [ -n "${BEFORE_JAR:-}" ]; then
  grid "$BEFORE_JAR" $before_port "$logs/grid-before.log"
  before_pid=$!
fi
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\n' "$(id -un)" $mosq_port \
  >"$logs/mosquitto.conf"
mosquitto -c "$logs/mosquitto.conf" >"$logs/mosquitto.log" 2>&1 &
mosq_pid=$!
trap 'kill $grid_pid $mosq_pid $before_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  grep -q "started" "$logs/grid.log" && { [ -z "$before_pid" ] || grep -q "started" "$logs/grid-before.log"; } && break
  sleep 1
done

echo "machine: $(nproc) cores, $(uname -sr); mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}')"
for qos in ${QOS:-0 1}; do
  for round in $(seq 1 "${ROUNDS:-1}"); do
    targets=("MQTT-Grid $grid_port" "Mosquitto $mosq_port")
    [ -n "$before_pid" ] && targets+=("before $before_port")
    [ $((round % 2)) = 0 ] && targets=("${targets[@]:1}" "${targets[0]}")
    for target in "${targets[@]}"; do
      set -- $target
      printf '%-10s load %-5s ' "$1" "$(cut -d' ' -f1 /proc/loadavg)"
      mvn -B -q -f load-tests/pom.xml exec:java \
        -Dexec.args="--port $2 --qos $qos --messages $messages --session-expiry ${SESSION_EXPIRY:-0}" 2>&1 \
        | grep 'msg/s\|disconnected by' || echo "qos $qos: failed"
    done
  done
done
