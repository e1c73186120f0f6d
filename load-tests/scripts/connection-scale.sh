#!/usr/bin/env bash
# Connect storms and memory per idle connection, one MQTT Grid node and Mosquitto side by side in the same run
# and from the same load generator (io.mqttgrid.load.ConnectStorm): N clients connect and subscribe to one
# topic filter each, at most CONCURRENCY connects under way at once; while they stay connected and idle the
# script measures each broker (RSS; for MQTT Grid also the heap used after a full GC, via jcmd); then they
# disconnect. Rounds alternate which broker goes first.
#
#   load-tests/scripts/connection-scale.sh       # CLIENTS="2000 5000" ROUNDS=2 CONCURRENCY=100 WARMUP_STORMS=4
#   CLIENTS=5000 ROUNDS=3 SESSION_EXPIRY=3600 load-tests/scripts/connection-scale.sh
#
# SESSION_EXPIRY above 0 makes every session persistent (clean start false). GRID_ARGS adds broker options,
# GRID_JVM_ARGS JVM options for the MQTT-Grid node (after the script's -Xmx1g, so an -Xmx there wins).
# BEFORE_JAR (another build of the broker, say from before a change) adds a second MQTT Grid node, warmed up and
# measured the same way in the same rounds (labelled MQTT-Grid-before); BEFORE_JVM_ARGS: JVM options for that node
# only (e.g. the same jar with -Dhazelcast.metrics.enabled=false). GRID_JAR: the jar measured as MQTT-Grid
# (default target/mqttgrid.jar, built if missing). JFR=FILE records MQTT Grid (the GRID_JAR node) with JFR's
# profile settings (JFR_SETTINGS: another .jfc, e.g. one sampling every 2 ms) from after its warm-up to the end of
# the rounds (summarise with load-tests/scripts/jfr-shares.py).
# HISTOGRAMS=DIR keeps each MQTT Grid node's class histogram (jcmd GC.class_histogram) before and while the
# clients are connected, to see what a connection's heap is made of.
# WARMUP_CLIENTS (default 5000): the size of each warm-up storm. For RSS per connection, warm up at the size
# measured: a JVM's heap stays committed and touched after a storm, so RSS only grows with connections beyond the
# biggest storm the node has seen (measured at 15,000 after warm-ups of 5,000 it also counts the heap G1 grew).
# GRID_PORT, MOSQUITTO_PORT, BEFORE_PORT: the listeners (21895, 21896, 21897), for runs side by side.
# Needs the broker jar (built here if missing), mosquitto (apt-get install -y mosquitto) and a JDK's jcmd.
# The file limit (ulimit -n) bounds N: each connection is one descriptor in the broker and one in the generator.
set -euo pipefail
cd "$(dirname "$0")/../.."
clients_list=${CLIENTS:-2000 5000}
rounds=${ROUNDS:-2}
concurrency=${CONCURRENCY:-100}
warmup_storms=${WARMUP_STORMS:-4}
warmup_clients=${WARMUP_CLIENTS:-5000}
session_expiry=${SESSION_EXPIRY:-0}
grid_port=${GRID_PORT:-21895}
mosq_port=${MOSQUITTO_PORT:-21896}
before_port=${BEFORE_PORT:-21897}

command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install -y mosquitto)" >&2; exit 2; }
grid_jar=${GRID_JAR:-target/mqttgrid.jar}
[ -f "$grid_jar" ] || mvn -B -q -DskipTests package
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml compile
logs=$(mktemp -d)
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile="$logs/cp" >/dev/null
cp="load-tests/target/classes:$(cat "$logs/cp")"

ulimit -n 65536 2>/dev/null || true
# the per-address connect rate and unauthenticated-connection caps protect a node from one noisy address; the
# load generator is one address, so they are lifted here
grid() { # jar port log [JVM options]
  java -Xmx1g -XX:+ExitOnOutOfMemoryError ${4:-} -jar "$1" --set mqtt.port="$2" \
    --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 --set http.port=-1 \
    --set http.tls-port=-1 --set management.port=-1 --set mqtt.connect-rate-per-address=0 \
    --set mqtt.max-unauthenticated-connections=0 --set mqtt.max-unauthenticated-per-address=0 \
    --set persistence.embedded.directory="$logs/data-$2" ${GRID_ARGS:-} >"$3" 2>&1 &
}
grid "$grid_jar" $grid_port "$logs/grid.log" "${GRID_JVM_ARGS:-}"
grid_pid=$!
before_pid=
if [ -n "${BEFORE_JAR:-}" ]; then
  grid "$BEFORE_JAR" $before_port "$logs/grid-before.log" "${BEFORE_JVM_ARGS:-}"
  before_pid=$!
fi
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\nset_tcp_nodelay true\n' \
  "$(id -un)" $mosq_port >"$logs/mosquitto.conf"
mosq_pid=
# a fresh Mosquitto for every measurement: freed memory stays in its allocator, so after a bigger round its RSS
# would not grow with the next, smaller one (it needs no warm-up: nothing to compile at run time)
start_mosquitto() {
  [ -n "$mosq_pid" ] && kill "$mosq_pid" && wait "$mosq_pid" 2>/dev/null || true
  mosquitto -c "$logs/mosquitto.conf" >>"$logs/mosquitto.log" 2>&1 &
  mosq_pid=$!
  sleep 0.5
  kill -0 $mosq_pid || { echo "mosquitto did not start:" >&2; cat "$logs/mosquitto.log" >&2; exit 1; }
}
trap 'kill $grid_pid $before_pid $mosq_pid 2>/dev/null || true; wait 2>/dev/null || true; echo "logs: $logs"' EXIT
start_mosquitto
for _ in $(seq 1 240); do
  grep -q "started" "$logs/grid.log" && { [ -z "$before_pid" ] || grep -q "started" "$logs/grid-before.log"; } && break
  sleep 1
done
printf '<configuration><root level="WARN"/></configuration>\n' >"$logs/logback.xml"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# heap in use and committed after a full GC (two, so that what the first freed is gone from the old generation
# too), as "used committed" in KiB: RSS follows the committed heap, which G1 sizes between used / (1 -
# MinHeapFreeRatio) and used / (1 - MaxHeapFreeRatio) at a full GC or a marking cycle's remark
heap_kb() {
  jcmd "$1" GC.run >/dev/null && jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | grep -m1 -o 'total [0-9]*K, used [0-9]*K' | tr -dc '0-9 ' | awk '{print $2, $1}'
}
histogram() { # pid name
  [ -z "${HISTOGRAMS:-}" ] && return 0
  mkdir -p "$HISTOGRAMS" && jcmd "$1" GC.class_histogram >"$HISTOGRAMS/$2-$(date +%s).txt"
}

storm() { # label port pid clients release-file
  java -Dlogback.configurationFile="$logs/logback.xml" -cp "$cp" io.mqttgrid.load.ConnectStorm --port "$2" --clients "$4" --concurrency "$concurrency" \
    --session-expiry "$session_expiry" --broker-pid "$3" --prefix "$1-$RANDOM" ${5:+--release "$5"}
}

measure() { # label port pid clients
  local label=$1 port=$2 pid=$3 n=$4 out="$logs/$1-$4-$(date +%s%N).log" heap0=- heap1=- committed0 committed1 rss0 rss1
  if [ "$label" = Mosquitto ]; then
    start_mosquitto
    pid=$mosq_pid
  fi
  case $label in MQTT-Grid*) read -r heap0 committed0 < <(heap_kb "$pid") && histogram "$pid" "$label-$n-idle-0" ;; esac
  sleep 1
  rss0=$(rss_kb "$pid")
  rm -f "$logs/release"
  storm "$label" "$port" "$pid" "$n" "$logs/release" >"$out" 2>&1 &
  local storm_pid=$!
  while ! grep -q "^holding" "$out" 2>/dev/null; do
    kill -0 $storm_pid 2>/dev/null || { echo "$label: the storm ended early:" >&2; cat "$out" >&2; return 1; }
    sleep 0.5
  done
  case $label in MQTT-Grid*) read -r heap1 committed1 < <(heap_kb "$pid") && histogram "$pid" "$label-$n-idle-$n" ;; esac
  sleep 1
  rss1=$(rss_kb "$pid")
  touch "$logs/release"
  wait $storm_pid || true
  local held
  held=$(grep -o '^holding [0-9]*' "$out" | tr -dc '0-9')
  echo "== $label, $n clients (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  grep -v '^holding\|^disconnected' "$out"
  printf 'idle: RSS %d -> %d KiB = %.1f KiB per connection' "$rss0" "$rss1" "$(echo "($rss1 - $rss0) / $held" | bc -l)"
  if [ "$heap0" != - ]; then
    printf '; heap after full GC %d -> %d KiB = %.1f KiB per connection' "$heap0" "$heap1" \
      "$(echo "($heap1 - $heap0) / $held" | bc -l)"
    printf ', committed %d -> %d KiB = %.1f KiB per connection' "$committed0" "$committed1" \
      "$(echo "($committed1 - $committed0) / $held" | bc -l)"
  fi
  echo
  sleep 3 # let the disconnects settle before the next measurement
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(java -version 2>&1 | head -1);" \
  "mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'); file limit $(ulimit -n); load generator on the" \
  "same cores; concurrency $concurrency, session expiry $session_expiry"
# warm-up: the JIT keeps compiling MQTT Grid's connect path for the first ~20,000 connects (C2 threads took a
# third of the broker's CPU in the fourth storm of 5,000); its CPU per connect is printed, to show where it settles
warm_up() { # label port pid
  for w in $(seq 1 "$warmup_storms"); do
    storm "$1" "$2" "$3" "$warmup_clients" "" >"$logs/warmup-$1-$w.log" 2>&1 || { cat "$logs/warmup-$1-$w.log" >&2; exit 1; }
    echo "$1 warm-up storm $w of $warmup_clients: $(grep -o '[0-9.]* ms per connect' "$logs/warmup-$1-$w.log") ($(grep -o 'without the JIT compilers [0-9.]* ms' "$logs/warmup-$1-$w.log")), $(grep -o '[0-9]* connects/s' "$logs/warmup-$1-$w.log")"
  done
}
warm_up MQTT-Grid $grid_port $grid_pid
[ -n "$before_pid" ] && warm_up MQTT-Grid-before $before_port $before_pid
[ -n "${JFR:-}" ] && jcmd $grid_pid JFR.start name=connection-scale settings="${JFR_SETTINGS:-profile}" filename="$(realpath -m "$JFR")" >/dev/null
for round in $(seq 1 "$rounds"); do
  for n in $clients_list; do
    if [ $((round % 2)) = 1 ]; then
      measure MQTT-Grid $grid_port $grid_pid "$n"
      [ -n "$before_pid" ] && measure MQTT-Grid-before $before_port $before_pid "$n"
      measure Mosquitto $mosq_port - "$n"
    else
      measure Mosquitto $mosq_port - "$n"
      [ -n "$before_pid" ] && measure MQTT-Grid-before $before_port $before_pid "$n"
      measure MQTT-Grid $grid_port $grid_pid "$n"
    fi
  done
done
if [ -n "${JFR:-}" ]; then
  jcmd $grid_pid JFR.stop name=connection-scale >/dev/null
  echo "JFR recording: $JFR"
fi
