package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared subscriptions and {@code instanceCount}: a dataflow with three instances is three
 * connections to the remote, each subscribed to one shared group there, so that the remote gives
 * each message to one of them; every message arrives at the edge exactly once, and more than one
 * instance carries them. The other way, two instances are two sessions at the edge in one shared
 * group, with the source written in IoT Operations' {@code $shared} spelling.
 */
class BridgeSharedIT {

  private static final int MESSAGES = 120;

  @TempDir static Path dir;

  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start();
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: 127.0.0.1:%d, clientIdPrefix: edge-}
        dataflows:
          - name: fan-in
            instanceCount: 3
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: cloud, dataSources: ['fleet/#']}
              - operationType: Destination
                destinationSettings: {endpointRef: default, dataDestination: 'edge/${inputTopic.2}'}
          - name: fan-out
            instanceCount: 2
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: default, dataSources: ['$shared/up/readings/+']}
              - operationType: Destination
                destinationSettings: {endpointRef: cloud, dataDestination: 'cloud/${inputTopic.2}'}
        """
            .formatted(cloud.mqttPort()));
    edge = TestBroker.start(Map.of("bridge.file", file.toString()));
    awaitAllConnected(5);
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void remoteToLocalInstancesShareTheLoadAndEachMessageArrivesOnce() throws Exception {
    Mqtt5BlockingClient sub = edge.v5("edge-sub-shared");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "edge/+", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = cloud.v5("cloud-pub-shared");
    pub.connect();
    for (int i = 0; i < MESSAGES; i++) {
      pub.publishWith()
          .topic("fleet/m" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < MESSAGES; i++) {
      Mqtt5Publish p = inbox.next();
      seen.merge(p.getTopic().toString(), 1, Integer::sum);
    }
    assertThat(seen).hasSize(MESSAGES);
    assertThat(seen.values()).containsOnly(1);
    assertThat(inbox.isEmpty()).isTrue();

    List<BridgeStatus> fanIn = statuses("fan-in");
    assertThat(fanIn).hasSize(3);
    assertThat(fanIn.stream().mapToLong(BridgeStatus::forwarded).sum()).isEqualTo(MESSAGES);
    assertThat(fanIn.stream().filter(s -> s.forwarded() > 0).count()).isGreaterThan(1);
    assertThat(fanIn)
        .extracting(BridgeStatus::remoteClientId)
        .containsExactly("edge-fan-in-1", "edge-fan-in-2", "edge-fan-in-3");
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void localToRemoteInstancesAreSessionsOfOneSharedGroupHere() throws Exception {
    Mqtt5BlockingClient sub = cloud.v5("cloud-sub-shared");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "cloud/+", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = edge.v5("edge-pub-shared");
    pub.connect();
    for (int i = 0; i < MESSAGES; i++) {
      pub.publishWith()
          .topic("readings/r" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("r" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < MESSAGES; i++) {
      Mqtt5Publish p = inbox.next();
      seen.merge(p.getTopic().toString(), 1, Integer::sum);
    }
    assertThat(seen).hasSize(MESSAGES);
    assertThat(seen.values()).containsOnly(1);
    assertThat(inbox.isEmpty()).isTrue();

    // an instance counts a message forwarded when the remote's PUBACK reaches it, which may be just
    // after
    // the remote's subscriber got the message
    io.mqttgrid.testing.Await.until(
        "every message counted forwarded",
        java.time.Duration.ofSeconds(10),
        () ->
            statusesQuietly("fan-out").stream().mapToLong(BridgeStatus::forwarded).sum()
                == MESSAGES);
    List<BridgeStatus> fanOut = statuses("fan-out");
    assertThat(fanOut)
        .extracting(BridgeStatus::localClientId)
        .containsExactly("$bridge/fan-out-1", "$bridge/fan-out-2");
    assertThat(fanOut.stream().mapToLong(BridgeStatus::forwarded).sum()).isEqualTo(MESSAGES);
    assertThat(fanOut.stream().filter(s -> s.forwarded() > 0).count()).isEqualTo(2);
    pub.disconnect();
    sub.disconnect();
  }

  private static List<BridgeStatus> statusesQuietly(String dataflow) {
    try {
      return statuses(dataflow);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<BridgeStatus> statuses(String dataflow) throws Exception {
    return edge
        .broker()
        .bridges()
        .statuses()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .stream()
        .filter(s -> s.dataflow().equals(dataflow))
        .toList();
  }

  private static void awaitAllConnected(int instances) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      List<BridgeStatus> all =
          edge.broker()
              .bridges()
              .statuses()
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      if (all.size() == instances && all.stream().allMatch(BridgeStatus::connected)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("bridge instances not all connected within 20 s: " + all);
      }
      Thread.sleep(100);
    }
  }
}
