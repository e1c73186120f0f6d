#!/usr/bin/env bash
# Throughput of MQTT Grid and Mosquitto on this machine, same tool, same run: one MQTT 5 publisher to one
# subscriber on loopback, QoS 0 and QoS 1. Needs the broker jar (mvn -DskipTests package) and the
# mosquitto package (apt-get install mosquitto). Usage: load-tests/scripts/compare-mosquitto.sh [messages]
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-200000}
grid_port=18831
mosq_port=18832
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install mosquitto)" >&2; exit 2; }
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q -f load-tests/pom.xml compile

logs=$(mktemp -d)
java -XX:+ExitOnOutOfMemoryError -jar target/mqttgrid.jar --set mqtt.port=$grid_port --set mqtt.websocket-port=-1 --set http.port=-1 \
  >"$logs/grid.log" 2>&1 &
grid_pid=$!
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\n' $mosq_port >"$logs/mosquitto.conf"
mosquitto -c "$logs/mosquitto.conf" >"$logs/mosquitto.log" 2>&1 &
mosq_pid=$!
trap 'kill $grid_pid $mosq_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  grep -q "started" "$logs/grid.log" && break
  sleep 1
done

echo "machine: $(nproc) cores, $(uname -sr); mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}')"
for qos in 0 1; do
  for target in "MQTT-Grid $grid_port" "Mosquitto $mosq_port"; do
    set -- $target
    printf '%-10s ' "$1"
    mvn -B -q -f load-tests/pom.xml exec:java -Dexec.args="--port $2 --qos $qos --messages $messages" 2>/dev/null \
      | grep 'msg/s' || echo "qos $qos: failed"
  done
done
