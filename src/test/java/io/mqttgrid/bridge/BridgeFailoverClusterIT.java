package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TestBroker;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node edge cluster with one bridge file and a "cloud" broker in this JVM: the dataflow
 * instances spread over the nodes, each message is forwarded once, and a kill -9 of the node that
 * runs a dataflow in the middle of a 5,000-message QoS 1 stream loses no acknowledged message, in
 * either direction, while the dataflow comes back on a survivor. The tests run in order: each kill
 * leaves one node fewer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeFailoverClusterIT {

  private static final String TOKEN = "bridge-failover-admin-token";
  private static final int STREAM = 5_000;
  private static final int WINDOW = 200;

  /** Queues big enough for the stream, so that no publish is refused while a dataflow moves. */
  private static final Map<String, String> ROOMY_SESSIONS =
      Map.of("session.max-queued-messages", "20000", "session.max-queued-bytes", "67108864");

  @TempDir static Path dir;

  static TestBroker cloud;
  static ClusterFixture edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start(ROOMY_SESSIONS);
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: "127.0.0.1:%d", clientIdPrefix: edge-}
        dataflows:
          - name: spread-up
            instanceCount: 2
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: default,
                 dataSources: ['$shared/spread/readings/+']}}
              - {operationType: Destination, destinationSettings: {endpointRef: cloud,
                 dataDestination: 'cloud/spread/${inputTopic.2}'}}
          - name: spread-down
            instanceCount: 2
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud, dataSources: ['fleet/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default,
                 dataDestination: 'edge/fleet/${inputTopic.2}'}}
          - name: stream-up
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: default, dataSources: ['stream/up']}}
              - {operationType: Destination, destinationSettings: {endpointRef: cloud,
                 dataDestination: 'cloud/stream/up'}}
          - name: stream-down
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud, dataSources: ['stream/down']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default,
                 dataDestination: 'edge/stream/down'}}
        """
            .formatted(cloud.mqttPort()));
    Map<String, String> settings = new java.util.HashMap<>(ROOMY_SESSIONS);
    settings.put("bridge.file", file.toString());
    settings.put("bridge.reconnect-max-delay", "2");
    settings.put("management.token", TOKEN);
    edge = ClusterFixture.start(BridgeFailoverClusterIT.class.getSimpleName(), 3, settings);
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  @Order(1)
  void theInstancesOfADataflowRunOnDifferentNodesAndEachMessageIsForwardedOnce() throws Exception {
    awaitRunning(List.of(1, 2, 3), "spread-up", 2);
    awaitRunning(List.of(1, 2, 3), "spread-down", 2);
    for (String flow : List.of("spread-up", "spread-down")) {
      // every node names the same node for each instance, and the two are different nodes
      Set<String> owners = new HashSet<>();
      for (int i = 1; i <= 2; i++) {
        String owner = api(1).nodeOf(flow, i);
        assertThat(api(2).nodeOf(flow, i)).isEqualTo(owner);
        assertThat(api(3).nodeOf(flow, i)).isEqualTo(owner);
        owners.add(owner);
      }
      assertThat(owners).as(flow).hasSize(2);
    }

    // up: published on every node, taken by the one shared group of both instances' sessions
    int messages = 120;
    Mqtt5AsyncClient cloudSub = QosOneStream.client("127.0.0.1", cloud.mqttPort(), "cloud-spread");
    QosOneStream.Received ups = QosOneStream.Received.subscribe(cloudSub, "cloud/spread/+");
    for (int node = 1; node <= 3; node++) {
      Mqtt5BlockingClient pub = edge.v5(node, "edge-spread-pub-" + node);
      pub.connect();
      for (int i = node; i <= messages; i += 3) {
        pub.publishWith()
            .topic("readings/r" + i)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(("r" + i).getBytes(StandardCharsets.UTF_8))
            .send();
      }
      pub.disconnect();
    }
    Await.until("every reading up", Duration.ofSeconds(30), () -> ups.payloads.size() == messages);

    // down: the remote shares the messages between the instances' subscriptions
    Mqtt5AsyncClient edgeSub = QosOneStream.client("127.0.0.1", edge.node(1).mqttPort(), "e-fleet");
    QosOneStream.Received downs = QosOneStream.Received.subscribe(edgeSub, "edge/fleet/+");
    Mqtt5BlockingClient cloudPub = cloud.v5("cloud-spread-pub");
    cloudPub.connect();
    for (int i = 1; i <= messages; i++) {
      cloudPub
          .publishWith()
          .topic("fleet/f" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("f" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    cloudPub.disconnect();
    Await.until(
        "every fleet message down",
        Duration.ofSeconds(30),
        () -> downs.payloads.size() == messages);

    // a moment for a duplicate to show up, were there one: what a bridge forwards takes
    // milliseconds
    Thread.sleep(1000);
    assertThat(ups.deliveries.get()).as("each message up forwarded once").isEqualTo(messages);
    assertThat(downs.deliveries.get()).as("each message down forwarded once").isEqualTo(messages);
    // both instances took part, each on its node
    for (String flow : List.of("spread-up", "spread-down")) {
      for (int i = 1; i <= 2; i++) {
        assertThat(forwardedOnOwner(flow, i)).as(flow + " instance " + i).isPositive();
      }
    }
    cloudSub.disconnect().get(10, TimeUnit.SECONDS);
    edgeSub.disconnect().get(10, TimeUnit.SECONDS);
  }

  @Test
  @Order(2)
  void killingTheNodeThatRunsALocalToRemoteDataflowLosesNoAcknowledgedMessage() throws Exception {
    List<Integer> alive = alive();
    awaitRunning(alive, "stream-up", 1);
    int owner = index(api(alive.get(0)).nodeOf("stream-up", 1));
    int publisherNode = alive.stream().filter(n -> n != owner).findFirst().orElseThrow();
    System.out.printf("stream-up runs on n%d; publishing on n%d%n", owner, publisherNode);

    Mqtt5AsyncClient cloudSub = QosOneStream.client("127.0.0.1", cloud.mqttPort(), "cloud-stream");
    QosOneStream.Received received = QosOneStream.Received.subscribe(cloudSub, "cloud/stream/up");
    Mqtt5AsyncClient pub =
        QosOneStream.client("127.0.0.1", edge.node(publisherNode).mqttPort(), "edge-stream-pub");
    pub.connect().get(10, TimeUnit.SECONDS);
    FailoverClock clock = new FailoverClock();
    Set<String> acknowledged =
        QosOneStream.publish(
            pub,
            "stream/up",
            "u",
            STREAM,
            WINDOW,
            STREAM / 4,
            () -> clock.kill(owner, "stream-up"),
            Duration.ofSeconds(90));
    System.out.printf(
        "stream-up: %d of %d acknowledged at the edge%n", acknowledged.size(), STREAM);
    assertThat(acknowledged.size()).isGreaterThan(STREAM / 4);
    Await.until("stream-up back on a survivor", Duration.ofSeconds(30), clock::moved);
    received.awaitAll(acknowledged, "stream-up");
    System.out.printf(
        "stream-up: back on n%d %d ms after the kill; %d deliveries of %d distinct messages%n",
        clock.newOwner(), clock.millis(), received.deliveries.get(), received.payloads.size());
    pub.disconnect().get(10, TimeUnit.SECONDS);
    cloudSub.disconnect().get(10, TimeUnit.SECONDS);
  }

  @Test
  @Order(3)
  void killingTheNodeThatRunsARemoteToLocalDataflowLosesNoAcknowledgedMessage() throws Exception {
    List<Integer> alive = alive();
    awaitRunning(alive, "stream-down", 1);
    int owner = index(api(alive.get(0)).nodeOf("stream-down", 1));
    int subscriberNode = alive.stream().filter(n -> n != owner).findFirst().orElseThrow();
    System.out.printf("stream-down runs on n%d; subscribed on n%d%n", owner, subscriberNode);

    Mqtt5AsyncClient edgeSub =
        QosOneStream.client("127.0.0.1", edge.node(subscriberNode).mqttPort(), "edge-stream-sub");
    QosOneStream.Received received = QosOneStream.Received.subscribe(edgeSub, "edge/stream/down");
    Mqtt5AsyncClient pub = QosOneStream.client("127.0.0.1", cloud.mqttPort(), "cloud-stream-pub");
    pub.connect().get(10, TimeUnit.SECONDS);
    FailoverClock clock = new FailoverClock();
    Set<String> acknowledged =
        QosOneStream.publish(
            pub,
            "stream/down",
            "d",
            STREAM,
            WINDOW,
            STREAM / 4,
            () -> clock.kill(owner, "stream-down"),
            Duration.ofSeconds(90));
    System.out.printf(
        "stream-down: %d of %d acknowledged at the cloud%n", acknowledged.size(), STREAM);
    assertThat(acknowledged).hasSize(STREAM);
    Await.until("stream-down back on a survivor", Duration.ofSeconds(30), clock::moved);
    received.awaitAll(acknowledged, "stream-down");
    System.out.printf(
        "stream-down: back on n%d %d ms after the kill; %d deliveries of %d distinct messages%n",
        clock.newOwner(), clock.millis(), received.deliveries.get(), received.payloads.size());
    pub.disconnect().get(10, TimeUnit.SECONDS);
    edgeSub.disconnect().get(10, TimeUnit.SECONDS);
  }

  /**
   * Kills a node mid-stream and measures how long its dataflow takes to run connected on a survivor
   * (recorded, not asserted: a loaded machine takes longer).
   */
  private static final class FailoverClock {
    private final AtomicLong killedAt = new AtomicLong();
    private final AtomicLong backAt = new AtomicLong();
    private final AtomicReference<Integer> newOwner = new AtomicReference<>();
    private volatile String flow;
    private final AtomicReference<Throwable> failed = new AtomicReference<>();

    void kill(int node, String flow) {
      this.flow = flow;
      try {
        edge.kill(node);
        killedAt.set(System.nanoTime());
        System.out.printf("killed n%d (kill -9) in the middle of the stream%n", node);
      } catch (Throwable t) {
        failed.set(t);
      }
    }

    /** Whether the dataflow runs connected on a survivor (noting when it was first seen so). */
    boolean moved() throws Exception {
      if (failed.get() != null) {
        throw new AssertionError("the kill failed", failed.get());
      }
      if (killedAt.get() == 0) {
        return false;
      }
      for (int n : alive()) {
        if (api(n).runsConnected(flow, 1)) {
          if (backAt.get() == 0) {
            backAt.set(System.nanoTime());
            newOwner.set(n);
          }
          return true;
        }
      }
      return false;
    }

    long millis() {
      return TimeUnit.NANOSECONDS.toMillis(backAt.get() - killedAt.get());
    }

    int newOwner() {
      return newOwner.get();
    }
  }

  /** The messages instance {@code instance} of {@code flow} forwarded, by the node that runs it. */
  private static long forwardedOnOwner(String flow, int instance) throws Exception {
    int owner = index(api(1).nodeOf(flow, instance));
    JsonObject status = BridgeApiCalls.instance(api(owner).bridges(), flow, instance);
    return status.getLong("forwarded");
  }

  /** Until each instance of {@code flow} runs connected on the node every live node names. */
  private static void awaitRunning(List<Integer> nodes, String flow, int instances) {
    Await.until(
        flow + " running on its nodes",
        Duration.ofSeconds(60),
        () -> {
          for (int i = 1; i <= instances; i++) {
            String owner = api(nodes.get(0)).nodeOf(flow, i);
            if (owner == null || !nodes.contains(index(owner))) {
              return false;
            }
            for (int n : nodes) {
              if (!owner.equals(api(n).nodeOf(flow, i))) {
                return false;
              }
            }
            if (!api(index(owner)).runsConnected(flow, i)) {
              return false;
            }
          }
          return true;
        });
  }

  private static List<Integer> alive() {
    List<Integer> out = new ArrayList<>();
    for (ClusterFixture.Node n : edge.nodes()) {
      if (n.isRunning()) {
        out.add(n.index());
      }
    }
    return out;
  }

  private static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring(1));
  }

  private static BridgeApiCalls api(int node) {
    return new BridgeApiCalls(edge.node(node).host(), edge.node(node).managementPort(), TOKEN);
  }
}
