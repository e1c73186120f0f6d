#!/usr/bin/env bash
# Bytes the broker allocates per delivery, and its young collections and CPU per delivery, for throughput-table
# cells run one after another against one node of a given jar (nothing else on it). Allocation is counted from
# the node's GC log (-Xlog:gc), independently of any sampling: between two young collections the node allocated
# the heap before the second less the heap after the first, summed over the collections within a run (MB
# precision; a run of 200,000 persistent deliveries spans 20 to 50 collections).
#
#   JAR=<jar> [RUNS="<ThroughputCell args>;<args>;..."] [JFR=<file>] load-tests/scripts/alloc-per-delivery.sh
#
# RUNS defaults to a warm-up of 50,000 persistent deliveries (MQTT 5), then 200,000 of each of the persistent
# cell (MQTT 5, 3.1.1) and fan-in QoS 0 (MQTT 5), as throughput-table.sh runs them. JFR=<file>: the node records
# with allocation sampling raised (jdk.ObjectAllocationSample, 5000/s) and dumps to <file> at the end; then
# load-tests/scripts/jfr-alloc-steps.py <file> shares the bytes out by step. A recording allocates itself:
# measure bytes per delivery without JFR.
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=${JAR:?JAR=<jar>}
port=${PORT:-19851}
p="--shape pairs --pairs 4 --qos 1 --persistent true"
runs=${RUNS:-"$p --mqtt 5 --deliveries 50000;$p --mqtt 5 --deliveries 200000;$p --mqtt 3 --deliveries 200000;--shape fanin --clients 4 --qos 0 --mqtt 5 --deliveries 200000"}
mvn -B -q -f load-tests/pom.xml compile
mvn -B -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/load-tests/target/load-classpath.txt"
classpath="load-tests/target/classes:$(cat load-tests/target/load-classpath.txt)"
logs=$(mktemp -d)
printf '<configuration><root level="WARN"/></configuration>\n' >"$logs/logback.xml"
jfr_opts=()
if [ -n "${JFR:-}" ]; then
  jfc="$logs/alloc.jfc"
  python3 - "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/jfr/profile.jfc" "$jfc" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r'(<event name="jdk.ObjectAllocationSample">.*?<setting name="throttle"[^>]*>)[^<]*(</setting>)', r'\g<1>5000/s\2', s, flags=re.S)
open(sys.argv[2], 'w').write(s)
PY
  jfr_opts=("-XX:StartFlightRecording=settings=$jfc")
fi
java -Xmx1g -XX:+ExitOnOutOfMemoryError "-Xlog:gc:file=$logs/gc.log:timemillis,uptime" "${jfr_opts[@]}" -jar "$jar" \
  --set mqtt.port="$port" --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 \
  --set http.port=-1 --set http.tls-port=-1 --set management.port=-1 \
  --set persistence.embedded.directory="$logs/data" >"$logs/grid.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; echo "logs: $logs"' EXIT
for _ in $(seq 1 90); do grep -q started "$logs/grid.log" && break; sleep 1; done
cpu_ticks() { local stat; read -r -a stat <"/proc/$1/stat"; echo $((stat[13] + stat[14])); }
echo "jar $jar; load average $(cut -d' ' -f1-3 /proc/loadavg)"
IFS=';' read -r -a cells <<<"$runs"
for args in "${cells[@]}"; do
  t0=$(cpu_ticks $pid); e0=$(date +%s%3N); l0=$(cut -d' ' -f1 /proc/loadavg)
  # shellcheck disable=SC2086
  line=$(java -Dlogback.configurationFile="$logs/logback.xml" -cp "$classpath" io.mqttgrid.load.ThroughputCell \
    --port "$port" $args 2>&1 | grep 'deliveries\|failed' | tr '\n' ' ' || true)
  t1=$(cpu_ticks $pid); e1=$(date +%s%3N)
  n=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* deliver.*/\1/p' <<<"$line")
  python3 - "$logs/gc.log" "$e0" "$e1" "${n:-0}" "$((t1 - t0))" "$(getconf CLK_TCK)" "$args" "$l0-$(cut -d' ' -f1 /proc/loadavg)" "$line" <<'PY'
import re, sys
path, t0, t1, n, ticks, hz, args, load, line = sys.argv[1:]
t0, t1, n = int(t0), int(t1), int(n)
prev = None; mb = 0; gcs = 0
for l in open(path):
    m = re.search(r'\[(\d+)ms\].*Pause Young.* (\d+)M->(\d+)M', l)
    if not m: continue
    t, before, after = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if t0 < t <= t1 and prev is not None:
        mb += before - prev; gcs += 1
    prev = after
if n:
    print(f"[{args}] load {load}: {mb * 1048576 / n:,.0f} bytes/delivery ({mb} MB, {gcs} young collections, "
          f"{gcs * 1e5 / n:.1f} per 100k deliveries), broker CPU {int(ticks) * 1e6 / int(hz) / n:.1f} us/delivery :: {line}")
else:
    print(f"[{args}] load {load}: no deliveries :: {line}")
PY
done
[ -n "${JFR:-}" ] && jcmd $pid JFR.dump filename="$JFR" >/dev/null
