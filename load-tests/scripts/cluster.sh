#!/usr/bin/env bash
# A 3-node MQTT Grid cluster on this machine behind HAProxy, one Gatling simulation against it, then
# everything stopped again (also on Ctrl-C or failure).
#
#   load-tests/scripts/cluster.sh SIMULATION [-Dkey=value ...]
#   load-tests/scripts/cluster.sh TelemetryFanInSimulation -Ddevices=300 -Dduration=30
#
# SIMULATION is a class in io.mqttgrid.load.simulations (or a fully qualified name); the -D options go to
# the simulation (see each class). HttpPublishLoad instead runs wrk against the HTTP publish API
# (io.mqttgrid.load.HttpPublishLoad; arguments: seconds connections qos, default 20 12 1):
#   load-tests/scripts/cluster.sh HttpPublishLoad 20 12 1 Needs the broker jar (built here if target/mqttgrid.jar is missing) and
# HAProxy (apt-get install -y haproxy). Environment:
#   LOAD_NODE_ARGS   extra broker options for every node, e.g. "--set auth.anonymous=true"
#   MQTTGRID_HTTP_TOKEN  bearer token for the HTTP publish simulations (or -Dhttp.token=...); when neither is
#                    given, an HttpPublish* simulation runs with real authentication made here: token-issuer.sh
#                    creates an RSA issuer, a namespace file trusting it (given to every node, anonymous MQTT
#                    clients off) and RS256 tokens for the HTTP publisher and the MQTT subscribers
#   LOAD_KEEP_LOGS   directory for node and HAProxy logs (default: a fresh temporary directory)
#
# Ports (loopback only): HAProxy MQTT 21883 and HTTP 21088 (the addresses the simulation is given);
# node n (1-3): MQTT 2191n, HTTP 2181n, management (/metrics) 2171n, Hazelcast 2161n, event bus 2151n.
set -euo pipefail
cd "$(dirname "$0")/../.."

simulation=${1:?usage: $0 SIMULATION [-Dkey=value ...]}
shift
if [[ $simulation == HttpPublishLoad ]]; then
  simulation=io.mqttgrid.load.HttpPublishLoad
elif [[ $simulation != *.* ]]; then
  simulation=io.mqttgrid.load.simulations.$simulation
fi

command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install -y haproxy)" >&2; exit 2; }
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package

logs=${LOAD_KEEP_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
lb_mqtt=21883
lb_http=21088
members=127.0.0.1:21611,127.0.0.1:21612,127.0.0.1:21613
pids=()
node_args=${LOAD_NODE_ARGS:-}

if [[ ${simulation##*.} == HttpPublish* && -z ${MQTTGRID_HTTP_TOKEN:-} && " $* " != *" -Dhttp.token="* ]]; then
  load-tests/scripts/token-issuer.sh "$logs/issuer" http-backend http-reader
  node_args="--set namespace.file=$logs/issuer/namespace.yaml --set auth.anonymous=false $node_args"
  MQTTGRID_HTTP_TOKEN=$(cat "$logs/issuer/http-backend.token")
  MQTTGRID_LOAD_MQTT_TOKEN=$(cat "$logs/issuer/http-reader.token")
  export MQTTGRID_HTTP_TOKEN MQTTGRID_LOAD_MQTT_TOKEN
  echo "HTTP publish with RS256 tokens of a local issuer (namespace file $logs/issuer/namespace.yaml);" \
    "MQTT subscribers authenticate with CUSTOM-JWT, anonymous clients are refused"
fi

stop_all() {
  # graceful stop first (nodes send DISCONNECT and leave the cluster), then make sure
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  echo "logs: $logs"
}
trap stop_all EXIT

for n in 1 2 3; do
  # shellcheck disable=SC2086
  # GC log per node: a latency spike in the report can be checked against the nodes' pauses
  java -Xmx1g -XX:+ExitOnOutOfMemoryError "-Xlog:gc:file=$logs/n$n-gc.log:uptime,time" -jar target/mqttgrid.jar --set node.id=n$n \
    --set mqtt.port=2191$n --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 \
    --set http.port=2181$n --set http.tls-port=-1 --set management.port=2171$n \
    --set cluster.mode=tcp --set cluster.members=$members --set cluster.interface=127.0.0.1 \
    --set cluster.port=2161$n --set cluster.eventbus-port=2151$n $node_args \
    >"$logs/n$n.log" 2>&1 &
  pids+=($!)
done

# MQTT is balanced per connection (TCP); HTTP publish per request (HTTP mode), so a client that keeps its
# connections open still spreads its publishes over the nodes. A node is sent traffic only while its
# /health/ready answers 200 (members joined, listeners bound).
ulimit -n 65536 2>/dev/null || true
# HAProxy needs two descriptors per proxied connection
maxconn=$(( ($(ulimit -n) - 100) / 2 ))
cat >"$logs/haproxy.cfg" <<CFG
global
  maxconn $maxconn
defaults
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout check 2s
frontend mqtt
  mode tcp
  bind 127.0.0.1:$lb_mqtt
  default_backend mqtt_nodes
backend mqtt_nodes
  mode tcp
  balance roundrobin
  option httpchk GET /health/ready
$(for n in 1 2 3; do echo "  server n$n 127.0.0.1:2191$n check port 2181$n inter 1s fall 2 rise 1"; done)
frontend http
  mode http
  bind 127.0.0.1:$lb_http
  default_backend http_nodes
backend http_nodes
  mode http
  balance roundrobin
  option httpchk GET /health/ready
  http-reuse always
$(for n in 1 2 3; do echo "  server n$n 127.0.0.1:2181$n check inter 1s fall 2 rise 1"; done)
CFG
haproxy -f "$logs/haproxy.cfg" -db >"$logs/haproxy.log" 2>&1 &
pids+=($!)
sleep 1
kill -0 "${pids[-1]}" 2>/dev/null || { echo "haproxy did not start:" >&2; cat "$logs/haproxy.log" >&2; exit 1; }

echo "waiting for 3 ready nodes (logs in $logs)"
for n in 1 2 3; do
  for attempt in $(seq 1 120); do
    body=$(curl -s -m 2 "http://127.0.0.1:2181$n/health/ready" || true)
    [[ $body == *'"UP"'*'"members":3'* ]] && break
    [ "$attempt" = 120 ] && { echo "node n$n not ready after 120 s: $body" >&2; exit 1; }
    sleep 1
  done
  echo "n$n: $body"
done

if [[ ${simulation##*.} == HttpPublishLoad ]]; then
  # not a Gatling simulation: wrk drives the HTTP publishes (arguments: seconds connections qos)
  mvn -B -q -Dstyle.color=never -f load-tests/pom.xml compile exec:java -Dexec.mainClass="$simulation" \
    -Dmqtt.url=tcp://127.0.0.1:$lb_mqtt -Dhttp.url=http://127.0.0.1:$lb_http -Dexec.args="$*" \
    | tee "$logs/wrk.log"
else
  mvn -B -Dstyle.color=never -f load-tests/pom.xml test-compile gatling:test -Dgatling.simulationClass="$simulation" \
    -Dmqtt.url=tcp://127.0.0.1:$lb_mqtt -Dhttp.url=http://127.0.0.1:$lb_http "$@" | tee "$logs/gatling.log"
  run=$(ls -td load-tests/target/gatling/*/ | head -1)
  java -cp load-tests/target/classes io.mqttgrid.load.GatlingRunSummary "MQTT-Grid-3-nodes=$run"
fi

# what the brokers counted (Event Grid metrics of each node's /metrics), next to what Gatling saw
echo "broker counters (Event Grid metrics, non-zero series):   n1 n2 n3 = total"
for n in 1 2 3; do
  curl -s -m 5 "http://127.0.0.1:2171$n/metrics" | sed "s/^/n$n /" || true
done | awk '
  $2 ~ /^mqtt_(successful|failed)_published_messages_total|^mqtt_successful_delivered_messages_total/ {
    series = $2; node = $1; value[series, node] = $NF; if ($NF > 0) shown[series] = 1 }
  END {
    for (s in shown) {
      printf "  %-95s %d %d %d = %d\n", s, value[s, "n1"], value[s, "n2"], value[s, "n3"],
        value[s, "n1"] + value[s, "n2"] + value[s, "n3"]
    }
  }' | sort
