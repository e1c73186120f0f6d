package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.sun.net.httpserver.HttpServer;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TcpLoadBalancer;
import io.mqttgrid.testing.TestBroker;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers in this JVM: "cloud", the remote, and "edge", with a bridge file whose dataflows go
 * both ways (the topology of the IoT Operations tutorial: tutorial/local up to telemetry/aio,
 * telemetry/# down to tutorial/cloud). Real HiveMQ clients on both sides; the bridge's remote side
 * is a real MQTT connection.
 */
class BridgeIT {

  private static final String[] FLOWS = {
    "up", "up-template", "up-retained", "down", "down-template"
  };

  @TempDir static Path dir;

  static int cloudPort;
  static Path bridgeFile;
  static TestBroker cloud;
  static TestBroker edge;

  /**
   * Whether the gate in front of the cloud lets new connections through (its health check answers
   * 200).
   */
  static final AtomicBoolean gateOpen = new AtomicBoolean(true);

  static HttpServer gateHealth;
  static TcpLoadBalancer gate;

  @BeforeAll
  static void start() throws Exception {
    cloudPort = TestBroker.freePort();
    // the dataflow down-template reaches the cloud through a gate the test can close, so that a
    // restarted edge
    // can be kept from the cloud until the test's subscriber is in place
    gateHealth = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateHealth.createContext(
        "/",
        ex -> {
          ex.sendResponseHeaders(gateOpen.get() ? 200 : 503, -1);
          ex.close();
        });
    gateHealth.start();
    gate =
        TcpLoadBalancer.start(
            List.of(
                new TcpLoadBalancer.Backend(
                    "cloud",
                    cloudPort,
                    URI.create("http://127.0.0.1:" + gateHealth.getAddress().getPort() + "/"))));
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            endpointType: Mqtt
            mqttSettings:
              host: 127.0.0.1:%d
              clientIdPrefix: edge-
          - name: cloud-gated
            mqttSettings:
              host: 127.0.0.1:%d
              clientIdPrefix: edge-
        dataflows:
          - name: up
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: default, dataSources: [tutorial/local]}
              - operationType: Destination
                destinationSettings: {endpointRef: cloud, dataDestination: telemetry/aio}
          - name: up-template
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: default, dataSources: ['sensors/#']}
              - operationType: Destination
                destinationSettings: {endpointRef: cloud, dataDestination: 'plant/${inputTopic.3}'}
          - name: up-retained
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: default, dataSources: ['restart/#']}
              - operationType: Destination
                destinationSettings: {endpointRef: cloud, dataDestination: '${inputTopic}'}
          - name: down
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: cloud, dataSources: ['telemetry/#']}
              - operationType: Destination
                destinationSettings: {endpointRef: default, dataDestination: tutorial/cloud}
          - name: down-template
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: cloud-gated, dataSources: ['devices/+/status']}
              - operationType: Destination
                destinationSettings: {endpointRef: default, dataDestination: 'edge/${inputTopic.2}'}
        """
            .formatted(cloudPort, gate.port()));
    bridgeFile = file;
    // the edge starts while the remote is not there yet: its start does not wait, the bridge
    // retries
    edge = startEdge();
    assertThat(edge.broker().isReady()).isTrue();
    assertThat(gauge("mqttgrid_bridge_connected", "up")).isEqualTo(0.0);
    cloud = startCloud();
    awaitConnected(true, FLOWS);
  }

  private static TestBroker startEdge() {
    return TestBroker.start(
        Map.of("bridge.file", bridgeFile.toString(), "bridge.reconnect-max-delay", "2"));
  }

  private static TestBroker startCloud() {
    return TestBroker.start(Map.of("mqtt.port", String.valueOf(cloudPort)));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud, gate);
    if (gateHealth != null) {
      gateHealth.stop(0);
    }
  }

  @Test
  void localToRemoteCarriesTheMessageAndItsProperties() throws Exception {
    Mqtt5BlockingClient sub = cloud.v5("cloud-sub-1");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "telemetry/aio", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = edge.v5("edge-pub-1");
    pub.connect();
    pub.publishWith()
        .topic("tutorial/local")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("hello cloud"))
        .contentType("text/plain")
        .userProperties()
        .add("site", "edge-7")
        .applyUserProperties()
        .send();

    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("telemetry/aio");
    assertThat(Inbox.text(got)).isEqualTo("hello cloud");
    assertThat(got.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(got.getContentType().map(Object::toString)).hasValue("text/plain");
    // the device's user property, then the bridge's marker naming the client that published it
    assertThat(got.getUserProperties().asList())
        .extracting(p -> p.getName() + "=" + p.getValue())
        .containsExactly("site=edge-7", LoopGuard.MARKER + "=edge-up");
    Await.until("latency of up recorded", Duration.ofSeconds(10), () -> latencyCount("up") >= 1);
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void remoteToLocalMapsTheTopicThroughTheTemplate() throws Exception {
    Mqtt5BlockingClient sub = edge.v5("edge-sub-2");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "edge/press-7", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = cloud.v5("cloud-pub-2");
    pub.connect();
    pub.publishWith()
        .topic("devices/press-7/status")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("running"))
        .send();

    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("edge/press-7");
    assertThat(Inbox.text(got)).isEqualTo("running");
    // each forwarded message's time from arrival to acknowledgement, per dataflow (the PUBACK to
    // the
    // remote follows the local delivery)
    Await.until(
        "latency of down-template recorded",
        Duration.ofSeconds(10),
        () -> latencyCount("down-template") >= 1);
    pub.disconnect();
    sub.disconnect();
  }

  private static double latencyCount(String flow) {
    try {
      return metric(
          "mqttgrid_bridge_forward_latency_seconds_count\\{dataflow=\""
              + Pattern.quote(flow)
              + "\",[^}]*}");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theTutorialRoundTripGoesUpAndComesBack() throws Exception {
    Mqtt5BlockingClient client = edge.v5("edge-roundtrip-3");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(client, "tutorial/cloud", MqttQos.AT_LEAST_ONCE);
    client
        .publishWith()
        .topic("tutorial/local")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("round trip"))
        .send();

    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("tutorial/cloud");
    assertThat(Inbox.text(got)).isEqualTo("round trip");
    client.disconnect();
  }

  @Test
  void aTargetLevelTheTopicLacksDropsTheMessageAndCountsIt() throws Exception {
    double before = dropped("up-template", "unresolved-target");
    Mqtt5BlockingClient sub = cloud.v5("cloud-sub-4");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "plant/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = edge.v5("edge-pub-4");
    pub.connect();
    pub.publishWith()
        .topic("sensors/only-two")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("lost"))
        .send();
    pub.publishWith()
        .topic("sensors/hall-2/temp")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("21.5"))
        .send();

    // the two pass through the bridge's session in order: when the second arrived, the first was
    // judged
    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("plant/temp");
    assertThat(Inbox.text(got)).isEqualTo("21.5");
    assertThat(dropped("up-template", "unresolved-target")).isEqualTo(before + 1);
    assertThat(inbox.isEmpty()).isTrue();
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void aClientCannotTakeTheBridgesSessionId() {
    Mqtt5BlockingClient intruder = edge.v5("$bridge/up");
    assertThatThrownBy(intruder::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.CLIENT_IDENTIFIER_NOT_VALID));
  }

  /**
   * Nothing lost across a restart of the remote broker: what the edge acknowledged while the remote
   * was down waits in the bridge's session and reaches the new remote. The messages are retained
   * there (retain Keep, each on its own topic), so the test reads them whenever the bridge
   * delivered them.
   */
  @Test
  void messagesPublishedWhileTheRemoteIsDownArriveAfterItsRestart() throws Exception {
    cloud.close();
    cloud = null;
    awaitConnected(false, "up-retained");
    Mqtt5BlockingClient pub = edge.v5("edge-pub-6");
    pub.connect();
    int count = 50;
    for (int i = 0; i < count; i++) {
      // a blocking QoS 1 publish returns on the edge's PUBACK
      pub.publishWith()
          .topic("restart/" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .retain(true)
          .payload(bytes("m" + i))
          .send();
    }
    pub.disconnect();
    cloud = startCloud();
    awaitConnected(true, "up-retained");

    Mqtt5BlockingClient sub = cloud.v5("cloud-sub-6");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "restart/#", MqttQos.AT_LEAST_ONCE);
    Set<String> seen = new HashSet<>();
    while (seen.size() < count) {
      // a message may come twice (retained on subscribe and live): each one counts once
      seen.add(Inbox.text(inbox.next()));
    }
    for (int i = 0; i < count; i++) {
      assertThat(seen).contains("m" + i);
    }
    sub.disconnect();
    awaitConnected(true, FLOWS);
  }

  /**
   * Nothing lost across a restart of the edge either: what the remote queued meanwhile in the
   * bridge's persistent session there (same client id, Clean Start 0) comes down when the edge is
   * back. The restarted edge reaches the cloud only once the test's subscriber is subscribed at the
   * edge (the gate opens then).
   */
  @Test
  void messagesQueuedAtTheRemoteWhileTheEdgeIsDownArriveAfterItsRestart() throws Exception {
    gateOpen.set(false);
    awaitGate(false);
    edge.close();
    edge = null;
    Mqtt5BlockingClient pub = cloud.v5("cloud-pub-7");
    pub.connect();
    int count = 20;
    for (int i = 0; i < count; i++) {
      pub.publishWith()
          .topic("devices/queued-" + i + "/status")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(bytes("q" + i))
          .send();
    }
    pub.disconnect();
    edge = startEdge();
    Mqtt5BlockingClient sub = edge.v5("edge-sub-7");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "edge/+", MqttQos.AT_LEAST_ONCE);
    assertThat(gauge("mqttgrid_bridge_connected", "down-template")).isEqualTo(0.0);
    gateOpen.set(true);
    awaitGate(true);

    Set<String> seen = new HashSet<>();
    while (seen.size() < count) {
      Mqtt5Publish p = inbox.next();
      seen.add(p.getTopic() + " " + Inbox.text(p));
    }
    for (int i = 0; i < count; i++) {
      assertThat(seen).contains("edge/queued-" + i + " q" + i);
    }
    sub.disconnect();
    awaitConnected(true, FLOWS);
  }

  private static void awaitGate(boolean open) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gate.isHealthy("cloud") != open) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gate not " + (open ? "open" : "closed") + " within 10 s");
      }
      Thread.sleep(50);
    }
  }

  // ---- helpers ----

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitConnected(boolean up, String... flows) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      boolean all = true;
      for (String f : flows) {
        all &= gauge("mqttgrid_bridge_connected", f) == (up ? 1.0 : 0.0);
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "bridge dataflows "
                + String.join(", ", flows)
                + " not "
                + (up ? "connected" : "disconnected")
                + " within 20 s");
      }
      Thread.sleep(100);
    }
  }

  private static double gauge(String name, String flow) throws Exception {
    return metric(name + "\\{dataflow=\"" + Pattern.quote(flow) + "\",[^}]*}");
  }

  private static double dropped(String flow, String reason) throws Exception {
    return metric(
        "mqttgrid_bridge_messages_dropped_total\\{dataflow=\""
            + Pattern.quote(flow)
            + "\",[^}]*reason=\""
            + Pattern.quote(reason)
            + "\"}");
  }

  /**
   * The value of the first /metrics line of the edge matching {@code series}; 0 when there is none.
   */
  private static double metric(String series) throws Exception {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(edge.scrapeMetrics());
    return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
  }
}
