#!/usr/bin/env bash
# Forwarding through a bridge, MQTT Grid's against Mosquitto's own, on this machine in the same run. The remote
# is one Mosquitto; two edges bridge to it: an MQTT Grid node (bridge.file: local bench/in -> remote grid/in) and
# a Mosquitto (a `connection` section: local bench/in -> remote mosq/in), both MQTT 5, QoS 1 bridges with
# persistent sessions. A publisher on the edge and a subscriber on the remote (BridgeThroughput) measure the
# messages per second that arrive, with an end-to-end window of 1000 (throughput), then one message at a time
# (latency: p50/p99 of the path). "direct" is publisher and subscriber both on the remote, no bridge: the
# added latency of a bridge is its latency minus that. Needs the broker jar (mvn -DskipTests package) and
# mosquitto (apt-get install mosquitto). Usage: load-tests/scripts/compare-bridge.sh [messages]
# QOS (default "0 1"), LATENCY_MESSAGES (default 2000), ROUNDS (default 1, alternating the order of the edges).
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-100000}
remote_port=18842
grid_port=18841
mosq_port=18843
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install mosquitto)" >&2; exit 2; }
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q -f load-tests/pom.xml compile

work=$(mktemp -d)
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\n' "$(id -un)" \
  $remote_port >"$work/remote.conf"
cat >"$work/edge.conf" <<CONF
user $(id -un)
listener $mosq_port 127.0.0.1
allow_anonymous true
max_queued_messages 10000
connection bench
address 127.0.0.1:$remote_port
bridge_protocol_version mqttv50
clientid mosq-bench
cleansession false
topic in out 1 bench/ mosq/
CONF
cat >"$work/bridges.yaml" <<YAML
dataflowEndpoints:
  - name: remote
    mqttSettings: { host: "127.0.0.1:$remote_port", clientIdPrefix: grid- }
dataflows:
  - name: bench
    operations:
      - operationType: Source
        sourceSettings: { endpointRef: default, dataSources: [bench/in] }
      - operationType: Destination
        destinationSettings: { endpointRef: remote, dataDestination: grid/in }
YAML
mosquitto -c "$work/remote.conf" >"$work/remote.log" 2>&1 &
remote_pid=$!
mosquitto -c "$work/edge.conf" >"$work/edge-mosquitto.log" 2>&1 &
mosq_pid=$!
java -XX:+ExitOnOutOfMemoryError -jar target/mqttgrid.jar --set mqtt.port=$grid_port --set mqtt.websocket-port=-1 \
  --set http.port=-1 --set management.port=18844 --set persistence.embedded.directory="$work/data" \
  --set bridge.file="$work/bridges.yaml" >"$work/grid.log" 2>&1 &
grid_pid=$!
trap 'kill $grid_pid $mosq_pid $remote_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -s 127.0.0.1:18844/metrics | grep -q '^mqttgrid_bridge_connected{dataflow="bench".* 1.0' && break
  sleep 1
done

bench() { # label pub-port in out qos messages window
  printf '%-9s ' "$1"
  mvn -B -q -f load-tests/pom.xml exec:java -Dexec.mainClass=io.mqttgrid.load.BridgeThroughput \
    -Dexec.args="--pub-port $2 --in $3 --sub-port $remote_port --out $4 --qos $5 --messages $6 --window $7" 2>&1 \
    | grep 'msg/s' || echo "qos $5: failed"
}
echo "machine: $(nproc) cores, $(uname -sr); mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}')"
for qos in ${QOS:-0 1}; do
  for round in $(seq 1 "${ROUNDS:-1}"); do
    targets=("MQTT-Grid $grid_port grid/in" "Mosquitto $mosq_port mosq/in")
    [ $((round % 2)) = 0 ] && targets=("${targets[1]}" "${targets[0]}")
    bench direct $remote_port direct/in direct/in "$qos" "$messages" 1000
    for target in "${targets[@]}"; do
      set -- $target
      bench "$1" "$2" bench/in "$3" "$qos" "$messages" 1000
    done
    bench direct $remote_port direct/in direct/in "$qos" "${LATENCY_MESSAGES:-2000}" 1
    for target in "${targets[@]}"; do
      set -- $target
      bench "$1" "$2" bench/in "$3" "$qos" "${LATENCY_MESSAGES:-2000}" 1
    done
  done
done
