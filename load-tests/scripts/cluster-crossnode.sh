#!/usr/bin/env bash
# QoS 1 (or 0) throughput of one publisher to one subscriber on the same node and on another node of a cluster
# on this machine, for one build of the broker or two side by side (same run, same load generator):
#
#   load-tests/scripts/cluster-crossnode.sh                         # target/mqttgrid.jar
#   BEFORE_JAR=/tmp/before.jar ROUNDS=3 load-tests/scripts/cluster-crossnode.sh
#   GRID_JAR=/tmp/after.jar BEFORE_JAR=/tmp/before.jar ROUNDS=3 load-tests/scripts/cluster-crossnode.sh
#
# Each jar gets its own cluster of NODES nodes (default 3; cluster.mode=tcp on loopback, default configuration
# otherwise, -Xmx1g), all started before the first run, so the clusters share the machine alike. Then, per round,
# each cluster in turn (the order alternates from round to round) runs io.mqttgrid.load.Throughput twice: publisher
# and subscriber on node 1 ("same node"), publisher on node 1 and subscriber on node 2 ("other node"), both
# MESSAGES (default 100000) 64-byte MQTT 5 messages with an end-to-end window of 1,000, QoS QOS (default 1).
# Before the first round every path is warmed up with WARMUP messages (default 30000): the JIT compiles the
# cross-node path only when it is used. Environment: NODE_JAVA_OPTS (extra JVM options for every node, e.g. a JFR
# recording), PATHS (default "same other"), LOAD_KEEP_LOGS (directory for the node logs; default a fresh temporary directory).
#
# Ports (loopback): cluster c (0: GRID_JAR, default target/mqttgrid.jar, 1: BEFORE_JAR), node n: MQTT 24c0n, HTTP 24c1n,
# management 24c2n, Hazelcast 24c3n, event bus 24c4n.
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${NODES:-3}
messages=${MESSAGES:-100000}
warmup=${WARMUP:-30000}
qos=${QOS:-1}
grid_jar=${GRID_JAR:-target/mqttgrid.jar}
jars=("$grid_jar")
names=(MQTT-Grid)
if [ -n "${BEFORE_JAR:-}" ]; then
  jars+=("$BEFORE_JAR")
  names+=(before)
fi
[ -f "$grid_jar" ] || [ -n "${GRID_JAR:-}" ] || mvn -B -q -DskipTests package
[ -f "$grid_jar" ] || { echo "no jar at $grid_jar" >&2; exit 2; }
mvn -B -q -f load-tests/pom.xml compile
mvn -B -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/load-tests/target/load-classpath.txt"
classpath="load-tests/target/classes:$(cat load-tests/target/load-classpath.txt)"

logs=${LOAD_KEEP_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
pids=()
stop_all() {
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

port() { # cluster kind node
  echo $((24000 + $1 * 100 + $2 * 10 + $3))
}
for c in "${!jars[@]}"; do
  members=$(for n in $(seq 1 "$nodes"); do printf '127.0.0.1:%s,' "$(port "$c" 3 "$n")"; done)
  for n in $(seq 1 "$nodes"); do
    # shellcheck disable=SC2086
    java -Xmx1g -XX:+ExitOnOutOfMemoryError ${NODE_JAVA_OPTS:-} -jar "${jars[$c]}" --set node.id=n$n \
      --set mqtt.port="$(port "$c" 0 "$n")" --set mqtt.websocket-port=-1 --set mqtt.tls-port=-1 \
      --set mqtt.wss-port=-1 --set http.port="$(port "$c" 1 "$n")" --set http.tls-port=-1 \
      --set management.port="$(port "$c" 2 "$n")" --set cluster.mode=tcp --set cluster.name="crossnode-$c" \
      --set cluster.members="${members%,}" --set cluster.interface=127.0.0.1 \
      --set cluster.port="$(port "$c" 3 "$n")" --set cluster.eventbus-port="$(port "$c" 4 "$n")" \
      >"$logs/c$c-n$n.log" 2>&1 &
    pids+=($!)
  done
done
for c in "${!jars[@]}"; do
  for n in $(seq 1 "$nodes"); do
    for attempt in $(seq 1 180); do
      body=$(curl -s -m 2 "http://127.0.0.1:$(port "$c" 1 "$n")/health/ready" || true)
      [[ $body == *'"UP"'*"\"members\":$nodes"* ]] && break
      [ "$attempt" = 180 ] && { echo "${names[$c]} node n$n not ready after 180 s: $body" >&2; exit 1; }
      sleep 1
    done
  done
  for n in $(seq 1 "$nodes"); do
    # a node that could not start (a port taken) would leave the readiness check to another process's nodes
    kill -0 "${pids[$((c * nodes + n - 1))]}" 2>/dev/null \
      || { echo "${names[$c]} node n$n exited:" >&2; tail -3 "$logs/c$c-n$n.log" >&2; exit 1; }
  done
  echo "${names[$c]} (${jars[$c]}): $nodes nodes ready"
done

cpu_ticks() { # cluster: user + system clock ticks of its nodes so far
  local sum=0
  for n in $(seq 1 "$nodes"); do
    read -r -a stat <"/proc/${pids[$(($1 * nodes + n - 1))]}/stat"
    sum=$((sum + stat[13] + stat[14]))
  done
  echo $sum
}
throughput() { # cluster subscriber-node messages
  local before after result
  before=$(cpu_ticks "$1")
  result=$(java -cp "$classpath" io.mqttgrid.load.Throughput --port "$(port "$1" 0 1)" \
    --sub-port "$(port "$1" 0 "$2")" --qos "$qos" --messages "$3" 2>&1 | grep 'msg/s\|disconnected by\|failed' \
    || echo "failed")
  after=$(cpu_ticks "$1")
  # the brokers' CPU per message is steadier than the rate on a machine shared with other work
  printf '%s; nodes CPU %d us/msg\n' "$result" $(((after - before) * 1000000 / $(getconf CLK_TCK) / $3))
}
paths=(${PATHS:-same other})
for c in "${!jars[@]}"; do
  for p in "${paths[@]}"; do
    throughput "$c" "$([ "$p" = same ] && echo 1 || echo 2)" "$warmup" >/dev/null
  done
done
echo "machine: $(nproc) cores, $(uname -sr); QoS $qos, $messages messages per run"
for round in $(seq 1 "${ROUNDS:-2}"); do
  order=("${!jars[@]}")
  [ $((round % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
  for c in "${order[@]}"; do
    for p in "${paths[@]}"; do
      printf 'round %d %-10s %-10s load %-5s ' "$round" "${names[$c]}" "$p node" "$(cut -d' ' -f1 /proc/loadavg)"
      throughput "$c" "$([ "$p" = same ] && echo 1 || echo 2)" "$messages"
    done
  done
done
