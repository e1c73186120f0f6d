#!/usr/bin/env bash
# The throughput table of one MQTT Grid node and Mosquitto on this machine, same run, same load generator
# (io.mqttgrid.load.ThroughputCell), 64-byte payloads on loopback, for MQTT 5 and MQTT 3.1.1:
#
#   cell                 shape                                                   QoS
#   pairs                PAIRS (default 4) publishers, each to its own subscriber  0, 1
#   fan-in               FAN (default 4) publishers, one subscriber to all         0, 1
#   fan-out              one publisher, FAN subscribers                            0, 1
#   persistent pairs     PAIRS pairs, subscribers with persistent sessions         1
#                        (3.1.1 Clean Session 0; MQTT 5 Session Expiry 3,600 s)
#
# Peak: DELIVERIES (default 200000) deliveries per run, at most 1,000 messages under way to each subscriber
# (end to end), deliveries/s from the first publish to the last delivery, and the broker's CPU time per
# delivery (user + system from /proc, steadier than the rate on a shared machine; each run starts once the
# broker is idle, at most 30 s after the previous one, so it is not charged with that one's backlog), also
# without what its JIT compiler threads took in the run (a JVM still compiles the path after a short warm-up;
# after WARMUP=50000 that was most of a fan-in QoS 0 run's CPU).
# Latency (LATENCY=1, the default): right after the peak runs of a cell, each broker again at half of
# Mosquitto's peak of that round, on a fixed schedule for LATENCY_SECONDS (default 6; the first second left
# out), p50/p99 of publish-to-delivery. Before the schedule, the generator sends LATENCY_WARMUP seconds of it
# (default 2) that are not measured, and more while its own JIT compiler is still busy (at most 10 s more), and
# waits until they arrived: without that, a fresh generator JVM's first second stalled the schedule with either
# broker, and the p99 was how fast a broker drained that backlog (LATENCY_WARMUP=0: the method before
# 2026-12-07); and a generator still compiling took a core from the broker (the persistent cell's stall).
#
#   load-tests/scripts/throughput-table.sh
#   ROUNDS=3 BEFORE_JAR=/tmp/before.jar load-tests/scripts/throughput-table.sh
#   CELLS="persistent:1" VERSIONS=3 ROUNDS=3 load-tests/scripts/throughput-table.sh
#
# ROUNDS (default 2; the brokers' order alternates per round), CELLS (default "pairs:0 pairs:1 fanin:0 fanin:1
# fanout:0 fanout:1 persistent:1"), VERSIONS (default "5 3"), BEFORE_JAR (a node of another build, measured as a
# third broker in the same rounds), WARMUP (deliveries per cell sent to each MQTT Grid node first and not
# counted, default 50000: the JIT), GRID_JAVA_OPTS (extra JVM options for the MQTT Grid nodes, e.g. a JFR
# recording), BEFORE_JAVA_OPTS (those of the BEFORE_JAR node, default GRID_JAVA_OPTS: with BEFORE_JAR the same
# jar, two sets of JVM options side by side), TIMELINE_MS (the latency runs' shape: each run's output, in the logs directory as
# run-<n>-<broker>-<cell>-<version>[-rate<r>].txt, ends with the latency per slice of that many ms of the
# schedule). MQTT Grid: -Xmx1g, default configuration, TCP listener only. Mosquitto: `max_queued_messages
# 10000`, `set_tcp_nodelay true`. GRID_JAR: the jar measured as MQTT Grid (default target/mqttgrid.jar, built if
# missing). Ports: GRID_PORT, MOSQUITTO_PORT, BEFORE_PORT (default 18851, 18852, 18853). Prints every run, then
# a Markdown table of the medians.
# BROKER_CPUS and GENERATOR_CPUS (taskset CPU lists, e.g. 0 and 1; default: unpinned) give the brokers and the
# load generator CPUs of their own: on a machine shared with the generator, the broker's background threads
# (the state database's, Hazelcast's) otherwise take CPU from the generator's client threads, and the latency
# measured includes the generator waiting for a CPU. Every broker gets the same BROKER_CPUS. GENERATOR_NICE (a
# nice value, e.g. -10; negative needs root) instead keeps both cores for the brokers and lets the generator's
# threads go first whenever they are ready, the nearest this machine comes to devices on other machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (apt-get install -y mosquitto)" >&2; exit 2; }
deliveries=${DELIVERIES:-200000}
rounds=${ROUNDS:-2}
pairs=${PAIRS:-4}
fan=${FAN:-4}
warmup=${WARMUP:-50000}
latency=${LATENCY:-1}
latency_seconds=${LATENCY_SECONDS:-6}
latency_warmup=${LATENCY_WARMUP:-2}
read -r -a cells <<<"${CELLS:-pairs:0 pairs:1 fanin:0 fanin:1 fanout:0 fanout:1 persistent:1}"
read -r -a versions <<<"${VERSIONS:-5 3}"
grid_jar=${GRID_JAR:-target/mqttgrid.jar}
[ -f "$grid_jar" ] || [ -n "${GRID_JAR:-}" ] || mvn -B -q -DskipTests package
mvn -B -q -f load-tests/pom.xml compile
mvn -B -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/load-tests/target/load-classpath.txt"
classpath="load-tests/target/classes:$(cat load-tests/target/load-classpath.txt)"

logs=$(mktemp -d)
printf '<configuration><root level="WARN"/></configuration>\n' >"$logs/logback.xml"
names=(MQTT-Grid Mosquitto)
ports=("${GRID_PORT:-18851}" "${MOSQUITTO_PORT:-18852}")
pids=()
broker_launcher=() generator_launcher=()
[ -n "${BROKER_CPUS:-}" ] && broker_launcher=(taskset -c "$BROKER_CPUS")
[ -n "${GENERATOR_CPUS:-}" ] && generator_launcher=(taskset -c "$GENERATOR_CPUS")
[ -n "${GENERATOR_NICE:-}" ] && generator_launcher=(nice -n "$GENERATOR_NICE" "${generator_launcher[@]}")
grid() { # jar port log [JVM options]
  # shellcheck disable=SC2086
  "${broker_launcher[@]}" java -Xmx1g -XX:+ExitOnOutOfMemoryError ${4:-} -jar "$1" --set mqtt.port="$2" \
    --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 --set mqtt.wss-port=-1 --set http.port=-1 \
    --set http.tls-port=-1 --set management.port=-1 --set persistence.embedded.directory="$logs/data-$2" \
    >"$3" 2>&1 &
  pids+=($!)
}
grid "$grid_jar" "${ports[0]}" "$logs/grid.log" "${GRID_JAVA_OPTS:-}"
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\nset_tcp_nodelay true\n' \
  "$(id -un)" "${ports[1]}" >"$logs/mosquitto.conf"
"${broker_launcher[@]}" mosquitto -c "$logs/mosquitto.conf" >"$logs/mosquitto.log" 2>&1 &
pids+=($!)
if [ -n "${BEFORE_JAR:-}" ]; then
  grid "$BEFORE_JAR" "${BEFORE_PORT:-18853}" "$logs/grid-before.log" "${BEFORE_JAVA_OPTS-${GRID_JAVA_OPTS:-}}"
  names+=(before)
  ports+=("${BEFORE_PORT:-18853}")
fi
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; echo "logs: $logs"' EXIT
for _ in $(seq 1 90); do
  grep -q started "$logs/grid.log" && { [ -z "${BEFORE_JAR:-}" ] || grep -q started "$logs/grid-before.log"; } && break
  sleep 1
done

cell_args() { # cell:qos version
  local shape=${1%:*} qos=${1#*:}
  case $shape in
    pairs) echo "--shape pairs --pairs $pairs --qos $qos --mqtt $2" ;;
    fanin) echo "--shape fanin --clients $fan --qos $qos --mqtt $2" ;;
    fanout) echo "--shape fanout --clients $fan --qos $qos --mqtt $2" ;;
    persistent) echo "--shape pairs --pairs $pairs --qos $qos --mqtt $2 --persistent true" ;;
    *) echo "unknown cell $1" >&2; exit 2 ;;
  esac
}
cpu_ticks() { # pid
  local stat
  read -r -a stat <"/proc/$1/stat"
  echo $((stat[13] + stat[14]))
}
jit_ticks() { # pid: the CPU of its JIT compiler threads (a JVM's; 0 for Mosquitto)
  local t sum=0 stat
  for t in /proc/"$1"/task/*; do
    grep -q '^C[12] CompilerThre' "$t/comm" 2>/dev/null || continue
    read -r -a stat <"$t/stat" 2>/dev/null || continue
    # the name, "(C2 CompilerThre)", is two words: utime and stime are fields 15 and 16
    sum=$((sum + stat[14] + stat[15]))
  done
  echo $sum
}
settle() { # pid: wait (at most 30 s) until the broker is idle, so a run is not charged with the last one's backlog
  local a b
  for _ in $(seq 1 30); do
    a=$(cpu_ticks "$1")
    sleep 1
    b=$(cpu_ticks "$1")
    [ $((b - a)) -le $(($(getconf CLK_TCK) / 20)) ] && return
  done
  return 0 # not idle after 30 s: measure anyway (the last test's status would end the script under set -e)
}
measure() { # broker-index cell version [rate]: sets line (the generator's), value (deliveries/s, or p99 ms
  # with a rate; "!" appended when the run was incomplete) and cpu (the broker's CPU us per delivery)
  local before after got extra=()
  [ -n "${4:-}" ] && extra=(--rate "$4" --seconds "$latency_seconds" --warmup-seconds "$latency_warmup")
  settle "${pids[$1]}"
  before=$(cpu_ticks "${pids[$1]}")
  jit_before=$(jit_ticks "${pids[$1]}")
  runs=$((runs + 1))
  run_log="$logs/run-$runs-${names[$1]}-${2/:/-}-mqtt$3${4:+-rate$4}.txt"
  # shellcheck disable=SC2046
  line=$("${generator_launcher[@]}" java -Dlogback.configurationFile="$logs/logback.xml" -cp "$classpath" io.mqttgrid.load.ThroughputCell \
    --port "${ports[$1]}" $(cell_args "$2" "$3") --deliveries "$deliveries" "${extra[@]}" 2>&1 \
    | tee "$run_log" | grep 'deliveries\|disconnected by\|failed' | tr '\n' ' ' || true)
  after=$(cpu_ticks "${pids[$1]}")
  jit_after=$(jit_ticks "${pids[$1]}")
  if [ -n "${4:-}" ]; then
    value=$(sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' <<<"$line")
  else
    value=$(sed -n 's/.* = \([0-9]*\) deliveries\/s.*/\1/p' <<<"$line")
  fi
  got=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* deliver.*/\1/p' <<<"$line")
  [[ $line == *INCOMPLETE* || -z $value ]] && value="${value:-0}!"
  cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="${got:-0}" \
    'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
  # a compiler thread the JVM ended during the run takes its ticks along: then counted as none
  jit=$(awk -v t=$((jit_after > jit_before ? jit_after - jit_before : 0)) -v hz="$(getconf CLK_TCK)" -v n="${got:-0}" \
    'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
}

runs=0
echo "machine: $(nproc) cores, $(uname -sr); mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}');" \
  "$deliveries deliveries per run; load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "brokers on CPUs ${BROKER_CPUS:-any}, generator on CPUs ${GENERATOR_CPUS:-any}, generator nice ${GENERATOR_NICE:-0}"
for b in "${!names[@]}"; do
  [ "${names[$b]}" = Mosquitto ] && continue
  for v in "${versions[@]}"; do
    for cell in "${cells[@]}"; do
      deliveries=$warmup measure "$b" "$cell" "$v"
    done
  done
  echo "${names[$b]}: warmed up ($warmup deliveries per cell)"
done
results="$logs/results.txt"
for round in $(seq 1 "$rounds"); do
  order=("${!names[@]}")
  [ $((round % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
  for v in "${versions[@]}"; do
    for cell in "${cells[@]}"; do
      mosquitto_peak=
      for b in "${order[@]}"; do
        printf 'round %d %-10s %-13s mqtt %s load %-5s ' "$round" "${names[$b]}" "$cell" "$v" "$(cut -d' ' -f1 /proc/loadavg)"
        measure "$b" "$cell" "$v"
        echo "$line; broker CPU $cpu us/delivery (JIT compilers $jit)"
        echo "peak $round $cell $v ${names[$b]} $value $cpu $jit" >>"$results"
        [ "${names[$b]}" = Mosquitto ] && mosquitto_peak=${value%!}
      done
      if [ "$latency" = 1 ] && [ -n "$mosquitto_peak" ] && [ "$mosquitto_peak" -gt 0 ]; then
        rate=$((mosquitto_peak / 2))
        for b in "${order[@]}"; do
          printf 'round %d %-10s %-13s mqtt %s load %-5s ' "$round" "${names[$b]}" "$cell" "$v" "$(cut -d' ' -f1 /proc/loadavg)"
          measure "$b" "$cell" "$v" "$rate"
          echo "$line"
          echo "p99 $round $cell $v ${names[$b]} $value $rate" >>"$results"
        done
      fi
    done
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$pairs" "$fan" "${names[@]}" <<'EOF'
import statistics, sys
path, pairs, fan, *names = sys.argv[1:]
rows = [line.split() for line in open(path)]
label = {"pairs": f"{pairs} pairs", "fanin": f"fan-in {fan}->1", "fanout": f"fan-out 1->{fan}",
         "persistent": f"persistent sessions, {pairs} pairs"}
def values(kind, cell, v, broker):
    return {int(r[1]): r[5] for r in rows if r[0] == kind and r[2] == cell and r[3] == v and r[4] == broker}
def num(x):
    return None if x.endswith("!") else float(x)
def fmt(x, p=False):
    return "-" if x is None else (f"{x:.1f}" if p else f"{x:,.0f}")
def median_ratio(a, b):
    r = [num(a[k]) / num(b[k]) for k in a if k in b and num(a[k]) and num(b[k])]
    return f"{statistics.median(r):.2f}" if r else "-"
def listing(d, p=False):
    return ", ".join(fmt(num(d[k]), p) + ("" if num(d[k]) is not None else " (incomplete)") for k in sorted(d))
others = [n for n in names if n != "Mosquitto"]
head = "| cell | QoS | MQTT | " + " | ".join(f"{n} deliveries/s" for n in names) + " | " + \
    " | ".join(f"{n} / Mosquitto" for n in others)
head += " | CPU us/delivery " + " / ".join(names) + " | without the JIT compilers " + " / ".join(names) + " | p99 ms at half Mosquitto's peak " + " / ".join(names) + \
    " | " + " | ".join(f"p99 {n} / Mosquitto" for n in others) + " |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
seen = []
for r in rows:
    key = (r[2], r[3])
    if key not in seen:
        seen.append(key)
for cell, v in seen:
    shape, qos = cell.split(":")
    peak = {n: values("peak", cell, v, n) for n in names}
    p99 = {n: values("p99", cell, v, n) for n in names}
    cpu = {n: {int(r[1]): r[6] for r in rows if r[0] == "peak" and r[2] == cell and r[3] == v and r[4] == n} for n in names}
    line = f"| {label[shape]} | {qos} | {'5' if v == '5' else '3.1.1'} | "
    line += " | ".join(listing(peak[n]) for n in names) + " | "
    line += " | ".join(median_ratio(peak[n], peak["Mosquitto"]) for n in others) + " | "
    line += " / ".join(fmt(statistics.median([float(x) for x in cpu[n].values()]), True) if cpu[n] else "-"
                       for n in names) + " | "
    own = {n: [float(r[6]) - float(r[7]) for r in rows if r[0] == "peak" and r[2] == cell and r[3] == v and r[4] == n]
           for n in names}
    line += " / ".join(fmt(statistics.median(own[n]), True) if own[n] else "-" for n in names) + " | "
    line += " / ".join(fmt(statistics.median([num(x) for x in p99[n].values() if num(x) is not None]), True)
                       if any(num(x) is not None for x in p99[n].values()) else "-" for n in names) + " | "
    line += " | ".join(median_ratio(p99[n], p99["Mosquitto"]) for n in others) + " |"
    print(line)
EOF
