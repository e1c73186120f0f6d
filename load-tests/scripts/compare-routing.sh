#!/usr/bin/env bash
# QoS 1 publish throughput with routing to a webhook on and off (docs/routing.md: routing runs off the publish
# path, the goal is within 10 %): two MQTT Grid nodes on this machine, one routing every message to a local
# webhook receiver (Python 3, 200 to everything; MAX_EVENTS_PER_BATCH, default 100, events per request), one
# without routing; the Throughput tool (one MQTT 5 publisher, one subscriber) against each, alternating which
# goes first. Each run also gives the broker's CPU time per message (user + system from /proc/<pid>/stat, all
# threads), for the routing node counted until its routing buffer is empty again, so that the events it routes
# after the last publish count too: on a machine shared with other work that is steadier than the rate, and
# the difference between the two nodes is what routing costs. Both nodes are warmed up first (WARMUP messages,
# default 30000). Then how many events the routing node delivered and dropped. A benchmark, not a test: figures
# on a shared machine vary from run to run. Needs the broker jar (mvn -DskipTests package).
# Usage: load-tests/scripts/compare-routing.sh [messages]   ROUNDS (default 2), QOS (default 1), WARMUP, JFR (a
# file: the routing node records a Java Flight Recording there, profile settings, written when it stops),
# BEFORE_JAR (another build of the broker, say from before a change: a third node, routing on too, measured in
# the same rounds as routing-before; JFR_BEFORE records it as JFR does the routing node; JFR_OFF the node
# without routing, for its allocation and collector's work to compare), e.g.
#   BEFORE_JAR=/tmp/before.jar ROUNDS=3 load-tests/scripts/compare-routing.sh 100000
# and JAR (the build measured, default target/mqttgrid.jar: a copy lets the checkout be rebuilt meanwhile).
# MAX_EVENTS_PER_BATCH (default 100; 1: one event a request, structured mode) and MAX_BYTES_PER_BATCH (default
# 65536, Event Grid's 64 KB) shape the routing nodes' batches; BEFORE_MAX_EVENTS_PER_BATCH and
# BEFORE_MAX_BYTES_PER_BATCH the routing-before node's only (BEFORE_JAR may be the same jar: two batch sizes
# in the same rounds); MAX_REQUESTS_IN_FLIGHT (default 4, routing.max-requests-in-flight) and
# BEFORE_MAX_REQUESTS_IN_FLIGHT likewise. Routing nodes' runs also print the routed events/s end to end and the receiver's CPU
# per message (it runs on the same cores). THREADS=1: each run's CPU by thread too, user and system apart
# (thread-cpu.py: the collector's, the JIT compiler's and the kernel's share, which JFR's samples miss).
# PERF=<directory>: perf record profiles of the routing and the plain node over the rounds (on.data, off.data;
# the nodes then keep frame pointers, -XX:+PreserveFramePointer, for whole stacks;
# needs perf, and jcmd for the JIT's symbols).
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-100000}
on_port=18841
off_port=18842
on_mgmt=19841
before_port=18843
before_mgmt=19843
receiver_port=18849
JAR=${JAR:-target/mqttgrid.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package
mvn -B -q -f load-tests/pom.xml compile

logs=$(mktemp -d)
cat >"$logs/receiver.py" <<'PY'
import http.server, socketserver, sys, threading
requests = {}; events = {}  # by path: one per routing node
counting = threading.Lock()  # a thread per connection: the counts would lose updates
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_OPTIONS(self):  # the webhook validation handshake (docs/routing.md#webhook-validation)
        self.send_response(200); self.send_header('WebHook-Allowed-Origin', self.headers['WebHook-Request-Origin'])
        self.send_header('Content-Length', '0'); self.end_headers()
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        with counting:
            requests[self.path] = requests.get(self.path, 0) + 1
            events[self.path] = events.get(self.path, 0) + body.count(b'"specversion"')
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def do_GET(self):  # what each routing node sent: requests, events
        r = ''.join(f'{p}: {requests[p]} requests, {events[p]} events\n' for p in sorted(requests)).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(r))); self.end_headers(); self.wfile.write(r)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
python3 "$logs/receiver.py" $receiver_port >"$logs/receiver.log" 2>&1 &
receiver_pid=$!
for node in on before; do # each routing node its own path at the receiver
  events_per_batch=${MAX_EVENTS_PER_BATCH:-100}
  bytes_per_batch=${MAX_BYTES_PER_BATCH:-65536}
  if [ $node = before ]; then
    events_per_batch=${BEFORE_MAX_EVENTS_PER_BATCH:-$events_per_batch}
    bytes_per_batch=${BEFORE_MAX_BYTES_PER_BATCH:-$bytes_per_batch}
  fi
  cat >"$logs/namespace-$node.yaml" <<YAML
settings:
  routeDestination:
    webhook:
      endpointUrl: "http://127.0.0.1:$receiver_port/$node"
      maxEventsPerBatch: $events_per_batch
      maxBytesPerBatch: $bytes_per_batch
YAML
done
grid() { # port management-port log jvm-option [extra --set ...]; the jar is $jar
  local port=$1 mgmt=$2 log=$3 jvm=$4
  shift 4
  java -XX:+ExitOnOutOfMemoryError ${PERF:+-XX:+PreserveFramePointer} $jvm -jar "${jar:-$JAR}" --set mqtt.port=$port --set mqtt.websocket-port=-1 \
    --set http.port=-1 --set management.port=$mgmt --set cluster.mode=local \
    --set persistence.embedded.directory="$logs/data-$port" "$@" >"$log" 2>&1 &
}
on_jvm=-XX:+ExitOnOutOfMemoryError
[ -n "${JFR:-}" ] && on_jvm="-XX:StartFlightRecording=filename=$(realpath -m "$JFR"),settings=profile,dumponexit=true"
grid $on_port $on_mgmt "$logs/on.log" "$on_jvm" --set namespace.file="$logs/namespace-on.yaml" \
  --set routing.max-requests-in-flight="${MAX_REQUESTS_IN_FLIGHT:-4}"
on_pid=$!
off_jvm=-XX:+ExitOnOutOfMemoryError
[ -n "${JFR_OFF:-}" ] && off_jvm="-XX:StartFlightRecording=filename=$(realpath -m "$JFR_OFF"),settings=profile,dumponexit=true"
grid $off_port -1 "$logs/off.log" "$off_jvm"
off_pid=$!
before_pid=
if [ -n "${BEFORE_JAR:-}" ]; then
  before_jvm=-XX:+ExitOnOutOfMemoryError
  [ -n "${JFR_BEFORE:-}" ] && before_jvm="-XX:StartFlightRecording=filename=$(realpath -m "$JFR_BEFORE"),settings=profile,dumponexit=true"
  jar=$BEFORE_JAR grid $before_port $before_mgmt "$logs/before.log" "$before_jvm" --set namespace.file="$logs/namespace-before.yaml" \
    --set routing.max-requests-in-flight="${BEFORE_MAX_REQUESTS_IN_FLIGHT:-${MAX_REQUESTS_IN_FLIGHT:-4}}"
  before_pid=$!
fi
trap 'kill $on_pid $off_pid $before_pid $receiver_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do # a loaded machine starts a node slowly
  grep -q "started" "$logs/on.log" && grep -q "started" "$logs/off.log" \
    && { [ -z "$before_pid" ] || grep -q "started" "$logs/before.log"; } && break
  sleep 1
done

cpu_ticks() { # pid: its user + system clock ticks so far
  local stat
  read -r -a stat <"/proc/$1/stat"
  echo $((stat[13] + stat[14]))
}
routing_idle() { # management-port: that routing node holds no event any more (or 60 s passed)
  for _ in $(seq 1 120); do
    curl -s http://127.0.0.1:$1/metrics | grep -E '^mqttgrid_routing_buffered_events' \
      | awk '{ s += $2 } END { exit !(s == 0) }' && return 0
    sleep 0.5
  done
  echo "(routing buffer not empty after 60 s) " >&2
}
ticks_us() { # clock ticks: microseconds
  echo $(($1 * 1000000 / $(getconf CLK_TCK)))
}
run() { # name port pid messages
  local before after result receiver_before receiver_after published ended
  [ -n "${THREADS:-}" ] && load-tests/scripts/thread-cpu.py snapshot "$3" "$logs/threads-before"
  before=$(cpu_ticks "$3")
  receiver_before=$(cpu_ticks $receiver_pid)
  result=$(mvn -B -q -f load-tests/pom.xml exec:java \
    -Dexec.args="--port $2 --qos ${QOS:-1} --messages $4" 2>&1 | grep 'msg/s\|disconnected by' || echo "failed")
  published=$(date +%s%N)
  [ "$1" = routing-on ] && routing_idle $on_mgmt
  [ "$1" = routing-before ] && routing_idle $before_mgmt
  after=$(cpu_ticks "$3")
  ended=$(date +%s%N)
  receiver_after=$(cpu_ticks $receiver_pid)
  [ -n "${THREADS:-}" ] && load-tests/scripts/thread-cpu.py snapshot "$3" "$logs/threads-after"
  printf '%s; broker CPU %d us/msg' "$result" $(($(ticks_us $((after - before))) / $4))
  if [ "$1" != routing-off ]; then
    # end to end: the publisher's time (first publish to last message received, as it reports it)
    # plus how long the routing node's buffer took to empty after it ended (polled every 0.5 s: a
    # lower bound of the routed events/s). The receiver runs on the same cores: its CPU is taken
    # from what the brokers could have had
    local seconds
    seconds=$(sed -n 's/.* received in \([0-9.]*\) s.*/\1/p' <<<"$result")
    printf '; routed end to end >= %s events/s (buffer empty %.1f s after the publisher ended); receiver CPU %d us/msg' \
      "$(awk -v n="$4" -v s="${seconds:-0}" -v lag=$(((ended - published) / 1000000)) \
        'BEGIN { printf "%d", (s + lag / 1000 > 0) ? n / (s + lag / 1000) : 0 }')" \
      "$(awk -v lag=$(((ended - published) / 1000000)) 'BEGIN { printf "%.1f", lag / 1000 }')" \
      $(($(ticks_us $((receiver_after - receiver_before))) / $4))
  fi
  echo
  if [ -n "${THREADS:-}" ]; then
    load-tests/scripts/thread-cpu.py diff "$3" "$logs/threads-before" "$logs/threads-after" "$4"
  fi
}
run routing-on $on_port $on_pid "${WARMUP:-30000}" >/dev/null
run routing-off $off_port $off_pid "${WARMUP:-30000}" >/dev/null
[ -n "$before_pid" ] && run routing-before $before_port $before_pid "${WARMUP:-30000}" >/dev/null

perf_pids=()
if [ -n "${PERF:-}" ]; then # after the warm-up: each node's CPU profile of the rounds, kernel and collector included
  mkdir -p "$PERF"
  for node in "on $on_pid" "off $off_pid"; do
    set -- $node
    perf record -q -F 499 -g -p "$2" -o "$PERF/$1.data" 2>/dev/null &
    perf_pids+=($!)
  done
fi
echo "machine: $(nproc) cores, $(uname -sr); $messages messages per run"
for round in $(seq 1 "${ROUNDS:-2}"); do
  targets=("routing-on $on_port $on_pid" "routing-off $off_port $off_pid")
  [ -n "$before_pid" ] && targets+=("routing-before $before_port $before_pid")
  [ $((round % 2)) = 0 ] && targets=("${targets[@]:1}" "${targets[0]}")
  for target in "${targets[@]}"; do
    set -- $target
    printf '%-14s load %-5s ' "$1" "$(cut -d' ' -f1 /proc/loadavg)"
    run "$1" "$2" "$3" "$messages"
  done
done
if [ -n "${PERF:-}" ]; then # the JIT's code named for perf report (/tmp/perf-<pid>.map), then the profiles written
  jcmd "$on_pid" Compiler.perfmap >/dev/null
  jcmd "$off_pid" Compiler.perfmap >/dev/null
  kill -INT "${perf_pids[@]}"
  wait "${perf_pids[@]}" 2>/dev/null || true
  echo "profiles: perf report -i $PERF/on.data (and off.data); the JIT's symbols: /tmp/perf-$on_pid.map, /tmp/perf-$off_pid.map"
fi
# what routing did meanwhile: delivered, failed or dropped (a full buffer), still held
sleep 2
for mgmt in $on_mgmt ${before_pid:+$before_mgmt}; do
  [ $mgmt = $before_mgmt ] && echo "routing-before:"
  curl -s http://127.0.0.1:$mgmt/metrics \
    | grep -E '^(mqtt_successful_routed_messages_total|mqtt_failed_routed_messages_total|mqttgrid_routing_(buffered|dead_lettered|dropped))' \
    || true
done
# how many events a request held: the receiver's count, warm-up included
echo "receiver (requests and events from each routing node, warm-up included):"
curl -s http://127.0.0.1:$receiver_port/
