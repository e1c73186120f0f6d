#!/usr/bin/env bash
# A local Apache Kafka to try the Kafka destination of routing (docs/routing.md#kafka) with only JDK 17 and
# Maven: one KRaft node (broker and controller in one process) listening on 127.0.0.1, from the Maven Central
# artifacts of the Kafka version the tests use (kafka.version in pom.xml). For trying things out only: one
# node, no security, replication factor 1. Not used by the build or the tests (they start their own broker,
# src/test/java/io/mqttgrid/testing/KafkaBroker.java). Already have a Kafka? Use it instead.
#
# Usage: docs/examples/kafka-dev-broker.sh start|stop
#   start  resolves the jars (the first time Maven downloads about 40 MB into ~/.m2), formats the log
#          directory if it is new, starts the broker in the background and waits until it serves
#   stop   stops it (SIGTERM, then waits for it to exit); start again keeps the topics and their records
# Environment: KAFKA_DIR (default kafka-dev: the configuration, the data, the pid and kafka.log),
#              KAFKA_PORT (default 9092; the controller listens on KAFKA_PORT + 1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(realpath -m "${KAFKA_DIR:-kafka-dev}")
port=${KAFKA_PORT:-9092}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$repo/pom.xml")
pidfile=$dir/kafka.pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if running; then echo "kafka is already running (pid $(cat "$pidfile"))"; return; fi
  mkdir -p "$dir"
  if [ ! -f "$dir/classpath-$version.txt" ]; then
    # the broker and a logging backend for its slf4j logs, as Kafka's own distribution has
    cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>kafka-dev-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
    echo "resolving Kafka $version with Maven (the first time it downloads about 45 MB into ~/.m2)"
    mvn -B -q -f "$dir/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath-$version.txt" \
      >"$dir/mvn.log" 2>&1 || { cat "$dir/mvn.log" >&2; exit 1; }
  fi
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((port + 1))
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  cat >"$dir/log4j2.properties" <<'LOG'
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=org.apache.kafka
logger.kafka.level=WARN
logger.state.name=state.change.logger
logger.state.level=WARN
LOG
  java=(java -Xmx512m -cp "$(cat "$dir/classpath-$version.txt")"
    -Dlog4j2.configurationFile="$dir/log4j2.properties")
  if [ ! -f "$dir/data/meta.properties" ]; then
    "${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >>"$dir/kafka.log" 2>&1
  fi
  from=$(($(cat "$dir/kafka.log" 2>/dev/null | wc -l) + 1))   # this start's lines only
  "${java[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 120); do
    if ! running; then echo "kafka exited; the end of $dir/kafka.log:" >&2; tail -20 "$dir/kafka.log" >&2; exit 1; fi
    if tail -n "+$from" "$dir/kafka.log" | grep -q 'Kafka Server started' \
        && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "kafka $version serving on 127.0.0.1:$port (pid $(cat "$pidfile"), log $dir/kafka.log)"
      return
    fi
    sleep 1
  done
  echo "kafka did not start in 120 s; see $dir/kafka.log" >&2; exit 1
}

stop() {
  if ! running; then echo "kafka is not running"; return; fi
  pid=$(cat "$pidfile")
  kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 1; done
  rm -f "$pidfile"
  echo "kafka stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) sed -n '8,14p' "$0" >&2; exit 2 ;;
esac
