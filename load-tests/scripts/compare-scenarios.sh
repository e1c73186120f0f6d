#!/usr/bin/env bash
# The Gatling MQTT scenarios against one MQTT Grid node and against Mosquitto (Debian's package), one after
# the other on the same machine, then their figures side by side.
#
#   load-tests/scripts/compare-scenarios.sh [-Dkey=value ...]
#   SCENARIOS="TelemetryFanInSimulation" load-tests/scripts/compare-scenarios.sh -Dduration=20
#
# SCENARIOS (default: all four MQTT simulations) are classes in io.mqttgrid.load.simulations; the -D
# options go to every simulation. Needs the broker jar (built here if missing) and mosquitto
# (apt-get install -y mosquitto). Both brokers listen on loopback only: MQTT Grid on 21893, Mosquitto on 21894.
set -euo pipefail
cd "$(dirname "$0")/../.."
scenarios=${SCENARIOS:-MqttConnectStormSimulation TelemetryFanInSimulation CommandFanOutSimulation RequestResponseSimulation}
grid_port=21893
mosq_port=21894

command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install -y mosquitto)" >&2; exit 2; }
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml test-compile

logs=$(mktemp -d)
ulimit -n 65536 2>/dev/null || true
java -Xmx2g -XX:+ExitOnOutOfMemoryError -jar target/mqttgrid.jar --set mqtt.port=$grid_port --set mqtt.websocket-port=-1 \
  --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 --set http.port=-1 --set http.tls-port=-1 \
  --set management.port=-1 >"$logs/grid.log" 2>&1 &
grid_pid=$!
# the limits MQTT Grid has by default (queued messages per client, in-flight window), and no Nagle delay:
# Vert.x sets TCP_NODELAY, Mosquitto only when told, and without it a request/response round trip waits
# ~40 ms for delayed ACKs
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\nmax_inflight_messages 100\nset_tcp_nodelay true\n' \
  $mosq_port >"$logs/mosquitto.conf"
mosquitto -c "$logs/mosquitto.conf" >"$logs/mosquitto.log" 2>&1 &
mosq_pid=$!
trap 'kill $grid_pid $mosq_pid 2>/dev/null || true; wait 2>/dev/null || true; echo "logs: $logs"' EXIT
for _ in $(seq 1 60); do
  grep -q "started" "$logs/grid.log" && break
  sleep 1
done
kill -0 $mosq_pid || { echo "mosquitto did not start:" >&2; cat "$logs/mosquitto.log" >&2; exit 1; }

run() { # label port simulation args...
  local label=$1 port=$2 simulation=$3
  shift 3
  mvn -B -q -Dstyle.color=never -f load-tests/pom.xml gatling:test -Dgatling.simulationClass=io.mqttgrid.load.simulations.$simulation \
    -Dmqtt.url=tcp://127.0.0.1:$port "$@" >"$logs/$simulation-$label.log" 2>&1 \
    || echo "$simulation against $label failed, see $logs/$simulation-$label.log" >&2
  ls -td load-tests/target/gatling/*/ | head -1
}

summary=()
for simulation in $scenarios; do
  grid_run=$(run MQTT-Grid $grid_port "$simulation" "$@")
  mosq_run=$(run Mosquitto $mosq_port "$simulation" "$@")
  summary+=("$simulation" "$grid_run" "$mosq_run")
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(java -version 2>&1 | head -1);" \
  "mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'); load generator on the same cores"
for ((i = 0; i < ${#summary[@]}; i += 3)); do
  echo
  echo "== ${summary[i]}"
  java -cp load-tests/target/classes io.mqttgrid.load.GatlingRunSummary \
    "MQTT-Grid=${summary[i+1]}" "Mosquitto=${summary[i+2]}"
done
