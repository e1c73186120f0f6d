# MQTT Grid container image: the same jar the README builds, run as a non-root user.
#   docker build -t mqttgrid .
#   docker run -p 1883:1883 -p 8088:8088 -e MQTTGRID_AUTH_ANONYMOUS=true mqttgrid
# (auth.anonymous defaults to loopback-only, which in a container means nobody from outside.)

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY config config
COPY cluster-config cluster-config
COPY src src
# The local Maven repository is a build cache, not a layer, and the build resolves only what it uses:
# 'dependency:go-offline' also fetched optional dependencies no build needs (vertx-web's oauth2, webauthn...)
# and failed against a Maven mirror that serves only what builds use.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --home-dir /opt/mqttgrid mqttgrid
COPY --from=build /src/target/mqttgrid.jar /opt/mqttgrid/mqttgrid.jar
# A single node (cluster.mode local) keeps its state in the embedded store under data/ (persistence.store auto,
# docs/persistence.md): the broker's user must be able to write there; mount a volume on it to keep it.
RUN mkdir /opt/mqttgrid/data && chown 10001 /opt/mqttgrid/data
VOLUME /opt/mqttgrid/data
USER 10001
WORKDIR /opt/mqttgrid
# MQTT, MQTT over TLS, WebSocket, secure WebSocket, HTTP (health, metrics), Hazelcast, event bus
EXPOSE 1883 8883 8080 8443 8088 8444 9090 5701 5801
# A JVM out of heap exits (and the container is restarted, the cluster taking over its sessions) instead of
# staying up wedged with health failing and publish/subscribe dead.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/mqttgrid/mqttgrid.jar"]
