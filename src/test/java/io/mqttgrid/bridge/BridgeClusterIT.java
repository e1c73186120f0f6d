package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-node edge cluster with one bridge file, and a "cloud" broker in this JVM. Each dataflow
 * runs on one node, the one both nodes name in /bridges (a message from the cloud arrives once, not
 * once per node); when the node that runs "down" is killed (kill -9), the survivor runs both, with
 * the bridge's local session taken over, and messages flow both ways again.
 */
class BridgeClusterIT {

  private static final String TOKEN = "bridge-cluster-admin-token";

  @TempDir static Path dir;

  static TestBroker cloud;
  static ClusterFixture edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start();
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: "127.0.0.1:%d", clientIdPrefix: edge-}
        dataflows:
          - name: up
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: default, dataSources: ['cl/up/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: cloud}}
          - name: down
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud, dataSources: ['cmd/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default,
                 dataDestination: 'cl/down/${inputTopic.2}'}}
        """
            .formatted(cloud.mqttPort()));
    edge =
        ClusterFixture.start(
            BridgeClusterIT.class.getSimpleName(),
            2,
            Map.of(
                "bridge.file",
                file.toString(),
                "bridge.reconnect-max-delay",
                "2",
                "management.token",
                TOKEN));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void eachDataflowRunsOnOneNodeAndTheSurvivorTakesItOver() throws Exception {
    awaitConnected(1, 2);
    int downOn = index(api(1).nodeOf("down", 1));
    int survivor = downOn == 1 ? 2 : 1;
    // both nodes started the bridge verticle (each logs the dataflows it knows); the one that does
    // not run "down" has not started it
    assertThat(Files.readString(edge.node(survivor).log()))
        .contains("bridge: 2 dataflows")
        .doesNotContain("this node starts the dataflow instances [down");
    assertThat(Files.readString(edge.node(downOn).log()))
        .containsPattern("this node starts the dataflow instances \\[.*down");

    // down: each message from the cloud arrives once at the edge, on whichever node the subscriber
    // is
    Mqtt5BlockingClient sub = client(survivor, "edge-sub");
    Inbox<Mqtt5Publish> downs = Inbox.connectAndSubscribe(sub, "cl/down/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient cloudPub = cloud.v5("cloud-pub");
    cloudPub.connect();
    for (int i = 0; i < 10; i++) {
      cloudPub
          .publishWith()
          .topic("cmd/c" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(bytes("c" + i))
          .send();
    }
    cloudPub
        .publishWith()
        .topic("cmd/end1")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("end1"))
        .send();
    assertThat(downs.topicsUntil("cl/down/end1")).hasSize(10).doesNotHaveDuplicates();

    edge.kill(downOn);
    awaitConnected(survivor);
    assertThat(api(survivor).nodeOf("up", 1)).isEqualTo("n" + survivor);
    assertThat(api(survivor).nodeOf("down", 1)).isEqualTo("n" + survivor);

    // up, from the survivor: through the bridge's local session, now served here
    Mqtt5BlockingClient cloudSub = cloud.v5("cloud-sub");
    Inbox<Mqtt5Publish> ups = Inbox.connectAndSubscribe(cloudSub, "cl/up/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient edgePub = client(survivor, "edge-pub");
    edgePub.connect();
    for (int i = 0; i < 20; i++) {
      DevicePublisher.publishUntilAcknowledged(
          edgePub, "cl/up/m" + i, "m" + i, Duration.ofMillis(250));
    }
    Set<String> seen = new HashSet<>();
    while (seen.size() < 20) {
      seen.add(ups.next().getTopic().toString());
    }
    assertThat(seen).contains("cl/up/m0", "cl/up/m19");

    // down again, from the survivor
    cloudPub
        .publishWith()
        .topic("cmd/after")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("after"))
        .send();
    cloudPub
        .publishWith()
        .topic("cmd/end2")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("end2"))
        .send();
    // at least once: n1 may have been killed after it published a message here but before its
    // PUBACK reached the cloud, which then sends that message again to the survivor (a CI run saw
    // the first "end" twice); such a repeat may come first, "after" must come too
    List<String> afterTheKill = downs.topicsUntil("cl/down/end2");
    assertThat(afterTheKill).containsOnlyOnce("cl/down/after");
    assertThat(afterTheKill)
        .allMatch(t -> t.equals("cl/down/after") || t.matches("cl/down/(c\\d|end1)"), "a repeat");
    for (Mqtt5BlockingClient c : List.of(sub, cloudPub, cloudSub, edgePub)) {
      c.disconnect();
    }
  }

  private static Mqtt5BlockingClient client(int node, String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(edge.node(node).mqttPort())
        .buildBlocking();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static BridgeApiCalls api(int node) {
    return new BridgeApiCalls(edge.node(node).host(), edge.node(node).managementPort(), TOKEN);
  }

  private static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring(1));
  }

  /**
   * Until both dataflows run connected, each on the node that {@code nodes} all name for it (by
   * their /bridges).
   */
  private static void awaitConnected(int... nodes) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!connected(nodes)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the dataflows not connected within 30 s");
      }
      Thread.sleep(200);
    }
  }

  private static boolean connected(int... nodes) throws Exception {
    for (String flow : List.of("up", "down")) {
      String owner = api(nodes[0]).nodeOf(flow, 1);
      if (owner == null) {
        return false;
      }
      for (int n : nodes) {
        if (!owner.equals(api(n).nodeOf(flow, 1))) {
          return false;
        }
      }
      if (!api(index(owner)).runsConnected(flow, 1)) {
        return false;
      }
    }
    return true;
  }
}
