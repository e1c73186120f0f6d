#!/usr/bin/env bash
# A local Apache Kafka to try the Kafka destination of routing (docs/routing.md#kafka) with only JDK 17 and
# Maven: one KRaft node (broker and controller in one process) listening on 127.0.0.1, and Kafka's console
# consumer, from the Maven Central artifacts of the Kafka version the tests use (kafka.version in pom.xml).
# For trying things out only: one node, no security, replication factor 1. Not used by the build or the tests
# (they start their own broker, src/test/java/io/mqttgrid/testing/KafkaBroker.java). Have a Kafka? Use it.
#
# Usage: docs/examples/kafka-dev-broker.sh start | stop | create-topics <topic>... | consume <options>
#   start          resolves the jars (the first time Maven downloads about 60 MB into ~/.m2), formats the log
#                  directory if it is new, starts the broker in the background and waits until it serves
#   stop           stops it (SIGTERM, then waits for it to exit); a new start keeps the topics and records
#   create-topics  creates the topics that do not exist yet (kafka-topics.sh --create), one partition each
#   consume        runs Kafka's console consumer (kafka-console-consumer.sh) with --bootstrap-server set,
#                  e.g. consume --topic mqtt-events --from-beginning --property print.headers=true
# Environment: KAFKA_DIR (default kafka-dev: the configuration, the data, the pid and kafka.log),
#              KAFKA_PORT (default 9092; the controller listens on KAFKA_PORT + 1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(realpath -m "${KAFKA_DIR:-kafka-dev}")
port=${KAFKA_PORT:-9092}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$repo/pom.xml")
pidfile=$dir/kafka.pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

resolve() {
  mkdir -p "$dir"
  # the broker, the console consumer, and a logging backend for their slf4j logs, as Kafka's distribution has
  pom="<project xmlns=\"http://maven.apache.org/POM/4.0.0\">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>kafka-dev-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>"
  if [ ! -f "$dir/classpath.txt" ] || [ "$(cat "$dir/pom.xml" 2>/dev/null)" != "$pom" ]; then
    echo "resolving Kafka $version with Maven (the first time it downloads about 60 MB into ~/.m2)" >&2
    printf '%s\n' "$pom" >"$dir/pom.xml"
    mvn -B -q -f "$dir/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath.txt" \
      >"$dir/mvn.log" 2>&1 || { rm -f "$dir/pom.xml"; cat "$dir/mvn.log" >&2; exit 1; }
  fi
  # the broker logs to kafka.log; the console consumer only its errors, to stderr
  printf '%s\n' 'rootLogger.level=ERROR' 'rootLogger.appenderRef.err.ref=err' 'appender.err.type=Console' \
    'appender.err.name=err' 'appender.err.target=SYSTEM_ERR' 'appender.err.layout.type=PatternLayout' \
    'appender.err.layout.pattern=%p %m (%c)%n' >"$dir/log4j2-tools.properties"
}

start() {
  if running; then echo "kafka is already running (pid $(cat "$pidfile"))"; return; fi
  resolve
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
  java=(java -Xmx512m -cp "$(cat "$dir/classpath.txt")"
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

tool() {
  resolve
  java -Xmx256m -cp "$(cat "$dir/classpath.txt")" -Dlog4j2.configurationFile="$dir/log4j2-tools.properties" \
    "$1" --bootstrap-server "127.0.0.1:$port" "${@:2}"
}

create_topics() {
  for topic in "$@"; do
    tool org.apache.kafka.tools.TopicCommand --create --if-not-exists --topic "$topic"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  create-topics) shift; create_topics "$@" ;;
  consume) shift; tool org.apache.kafka.tools.consumer.ConsoleConsumer "$@" ;;
  *) sed -n '8,16p' "$0" >&2; exit 2 ;;
esac
