#!/usr/bin/env bash
# QoS 1 publish throughput with routing to a webhook on and off (docs/routing.md: routing runs off the publish
# path, the goal is within 10 %): two MQTT Grid nodes on this machine, one routing every message to a local
# webhook receiver (Python 3, 200 to everything; MAX_EVENTS_PER_BATCH, default 100, events per request), one
# without routing; the Throughput tool (one MQTT 5 publisher, one subscriber) against each, alternating which
# goes first. Then how many events the routing node delivered and dropped. A benchmark, not a test: figures on
# a shared machine vary from run to run. Needs the broker jar (mvn -DskipTests package).
# Usage: load-tests/scripts/compare-routing.sh [messages]   ROUNDS (default 2), QOS (default 1), JFR (a file: the
# routing node records a Java Flight Recording there, profile settings, written when it stops)
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-100000}
on_port=18841
off_port=18842
on_mgmt=19841
receiver_port=18849
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q -f load-tests/pom.xml compile

logs=$(mktemp -d)
cat >"$logs/receiver.py" <<'PY'
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_OPTIONS(self):  # the webhook validation handshake (docs/routing.md#webhook-validation)
        self.send_response(200); self.send_header('WebHook-Allowed-Origin', self.headers['WebHook-Request-Origin'])
        self.send_header('Content-Length', '0'); self.end_headers()
    def do_POST(self):
        self.rfile.read(int(self.headers['Content-Length']))
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
python3 "$logs/receiver.py" $receiver_port >"$logs/receiver.log" 2>&1 &
receiver_pid=$!
cat >"$logs/namespace.yaml" <<YAML
settings:
  routeDestination:
    webhook: { endpointUrl: "http://127.0.0.1:$receiver_port/events", maxEventsPerBatch: ${MAX_EVENTS_PER_BATCH:-100} }
YAML
grid() { # port management-port log jvm-option [extra --set ...]
  local port=$1 mgmt=$2 log=$3 jvm=$4
  shift 4
  java -XX:+ExitOnOutOfMemoryError $jvm -jar target/mqttgrid.jar --set mqtt.port=$port --set mqtt.websocket-port=-1 \
    --set http.port=-1 --set management.port=$mgmt --set cluster.mode=local \
    --set persistence.embedded.directory="$logs/data-$port" "$@" >"$log" 2>&1 &
}
on_jvm=-XX:+ExitOnOutOfMemoryError
[ -n "${JFR:-}" ] && on_jvm="-XX:StartFlightRecording=filename=$(realpath -m "$JFR"),settings=profile,dumponexit=true"
grid $on_port $on_mgmt "$logs/on.log" "$on_jvm" --set namespace.file="$logs/namespace.yaml"
on_pid=$!
grid $off_port -1 "$logs/off.log" -XX:+ExitOnOutOfMemoryError
off_pid=$!
trap 'kill $on_pid $off_pid $receiver_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do # a loaded machine starts a node slowly
  grep -q "started" "$logs/on.log" && grep -q "started" "$logs/off.log" && break
  sleep 1
done

echo "machine: $(nproc) cores, $(uname -sr); $messages messages per run"
for round in $(seq 1 "${ROUNDS:-2}"); do
  targets=("routing-on $on_port" "routing-off $off_port")
  [ $((round % 2)) = 0 ] && targets=("${targets[1]}" "${targets[0]}")
  for target in "${targets[@]}"; do
    set -- $target
    printf '%-11s load %-5s ' "$1" "$(cut -d' ' -f1 /proc/loadavg)"
    mvn -B -q -f load-tests/pom.xml exec:java \
      -Dexec.args="--port $2 --qos ${QOS:-1} --messages $messages" 2>&1 | grep 'msg/s\|disconnected by' \
      || echo "failed"
  done
done
# what routing did meanwhile: delivered, failed or dropped (a full buffer), still held
sleep 2
curl -s http://127.0.0.1:$on_mgmt/metrics \
  | grep -E '^(mqtt_successful_routed_messages_total|mqtt_failed_routed_messages_total|mqttgrid_routing_(buffered|dead_lettered|dropped))' \
  || true
