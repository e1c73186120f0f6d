#!/usr/bin/env bash
# The broker's CPU per message (utime + stime of its process, from /proc/<pid>/stat) over runs of the same
# one-publisher, one-subscriber stream as compare-mosquitto.sh: rates swing with a shared machine's load, the
# CPU a message costs much less. Starts its own node from JAR (default target/mqttgrid.jar) on PORT, one
# warm-up run then RUNS runs (default 2), each line with the load average before..after.
#   QOS (default 1), SESSION_EXPIRY (default 3600: a persistent subscriber), e.g.
#   JAR=/tmp/before.jar PORT=28843 load-tests/scripts/cpu-per-message.sh 100000
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-100000}
jar=${JAR:-target/mqttgrid.jar}
port=${PORT:-28842}
[ -f "$jar" ] || { echo "no broker jar at $jar (mvn -DskipTests package)" >&2; exit 2; }
mvn -B -q -f load-tests/pom.xml compile
dir=$(mktemp -d)
java -XX:+ExitOnOutOfMemoryError -jar "$jar" --set mqtt.port="$port" --set mqtt.websocket-port=-1 \
  --set http.port=-1 --set management.port=-1 --set persistence.embedded.directory="$dir/data" \
  >"$dir/grid.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q started "$dir/grid.log" && break; sleep 1; done
kill -0 $pid 2>/dev/null || { tail -3 "$dir/grid.log" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
for run in warm-up $(seq 1 "${RUNS:-2}"); do
  load0=$(cut -d' ' -f1 /proc/loadavg)
  cpu0=$(cpu)
  out=$(mvn -B -q -f load-tests/pom.xml exec:java -Dexec.args="--port $port --qos ${QOS:-1} --messages $messages \
    --session-expiry ${SESSION_EXPIRY:-3600}" 2>&1 | grep 'msg/s\|disconnected by' || echo failed)
  cpu1=$(cpu)
  echo "run $run, load $load0..$(cut -d' ' -f1 /proc/loadavg): $(awk -v c="$((cpu1 - cpu0))" -v t="$ticks" \
    -v n="$messages" 'BEGIN { printf "%.3f", c * 1000 / t / n }') ms of broker CPU per message; $out"
done
