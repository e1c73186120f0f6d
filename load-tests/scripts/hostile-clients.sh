#!/usr/bin/env bash
# What unauthenticated hostile input costs one node: starts a node from JAR (default target/mqttgrid.jar) on
# loopback for each attack, runs it, and prints how much the log grew, the ERROR lines and the RSS before and
# after. Attacks (bounded in count and time, loopback only):
#   flood  300 connections, each sending 4 KB of PINGREQs before any CONNECT
#   big    1,000 connections, each announcing a 512 KiB CONNECT and never finishing it
# Usage: load-tests/scripts/hostile-clients.sh [JAR]
set -uo pipefail
cd "$(dirname "$0")/../.."
JAR=${1:-target/mqttgrid.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package
logs=$(mktemp -d)
for kind in flood big; do
  log=$logs/$kind.log
  java -Xmx1g -XX:+ExitOnOutOfMemoryError -jar "$JAR" --set mqtt.host=127.0.0.1 --set mqtt.port=21883 \
    --set mqtt.websocket-port=-1 --set http.port=-1 --set management.host=127.0.0.1 --set management.port=29090 \
    --set cluster.port=25701 > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do curl -sf http://127.0.0.1:29090/health/ready > /dev/null && break; sleep 0.5; done
  rss0=$(ps -o rss= -p $pid); log0=$(stat -c %s "$log")
  timeout 120 python3 load-tests/scripts/hostile_clients.py 21883 29090 $kind
  sleep 2
  rss1=$(ps -o rss= -p $pid); log1=$(stat -c %s "$log")
  echo "$kind: log grew $((log1 - log0)) bytes; ERROR lines: $(grep -c ' ERROR ' "$log"); RSS ${rss0} -> ${rss1} KB"
  kill $pid; wait $pid 2>/dev/null
done
echo "node logs in $logs"
