package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge file applied again when it changes, without a restart: a dataflow added, one changed,
 * one removed (its session here deleted), and a broken file that changes nothing.
 */
class BridgeReloadIT {

  private static final String ENDPOINT =
      """
      dataflowEndpoints:
        - name: cloud
          mqttSettings: {host: 127.0.0.1:%d, clientIdPrefix: edge-}
      dataflows:
      """;

  private static final String UP =
      """
        - name: up
          operations:
            - operationType: Source
              sourceSettings: {endpointRef: default, dataSources: ['a/#']}
            - operationType: Destination
              destinationSettings: {endpointRef: cloud, dataDestination: '%s/${inputTopic}'}
      """;

  private static final String DOWN =
      """
        - name: down
          operations:
            - operationType: Source
              sourceSettings: {endpointRef: cloud, dataSources: ['cmd/#']}
            - operationType: Destination
              destinationSettings: {endpointRef: default, dataDestination: 'edge/${inputTopic}'}
      """;

  @TempDir Path dir;

  TestBroker cloud;
  TestBroker edge;
  Path file;

  @BeforeEach
  void start() throws Exception {
    cloud = TestBroker.start();
    file = dir.resolve("bridges.yaml");
    write(ENDPOINT.formatted(cloud.mqttPort()) + UP.formatted("x"));
    edge = TestBroker.start(Map.of("bridge.file", file.toString(), "bridge.watch-interval", "1"));
    await("up connected", all -> connected(all, "up"));
  }

  @AfterEach
  void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void anAddedDataflowStartsAndAChangedOneRestartsWithItsNewTarget() throws Exception {
    Mqtt5BlockingClient cloudSub = cloud.v5("cloud-sub");
    Inbox<Mqtt5Publish> cloudInbox =
        Inbox.connectAndSubscribe(cloudSub, "+/a/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient edgePub = edge.v5("edge-pub");
    edgePub.connect();
    publish(edgePub, "a/1", "before");
    assertThat(cloudInbox.next().getTopic().toString()).isEqualTo("x/a/1");

    write(ENDPOINT.formatted(cloud.mqttPort()) + UP.formatted("y") + DOWN);
    await("down connected", all -> connected(all, "down"));

    publish(edgePub, "a/2", "after");
    Mqtt5Publish up = cloudInbox.next();
    assertThat(up.getTopic().toString()).isEqualTo("y/a/2");
    assertThat(Inbox.text(up)).isEqualTo("after");
    assertDownWorks("cmd/1");

    // a broken file: refused, the running bridges stay as they were (it would have removed down)
    write(ENDPOINT.formatted(cloud.mqttPort()) + UP.formatted("z/#"));
    await("the broken file refused", all -> edge.broker().bridges().fileError() != null);
    assertThat(edge.broker().bridges().fileError())
        .startsWith("dataflows[0].operations[1].destinationSettings.dataDestination:");
    assertThat(statuses()).extracting(BridgeStatus::dataflow).containsExactly("up", "down");
    publish(edgePub, "a/3", "still");
    assertThat(cloudInbox.next().getTopic().toString()).isEqualTo("y/a/3");
    assertDownWorks("cmd/2");
    assertThat(cloudInbox.isEmpty()).isTrue();
    edgePub.disconnect();
    cloudSub.disconnect();
  }

  @Test
  void aRemovedDataflowStopsAndItsSessionHereIsDeleted() throws Exception {
    // a local-to-remote dataflow reports connected once its remote side is; its local session is
    // opened meanwhile (CI saw the record missing right after "connected")
    long opened = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (edge.broker()
                .sessions()
                .store()
                .load("$bridge/up")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
            == null
        && System.nanoTime() < opened) {
      Thread.sleep(50);
    }
    assertThat(
            edge.broker()
                .sessions()
                .store()
                .load("$bridge/up")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS))
        .isNotNull();
    write(ENDPOINT.formatted(cloud.mqttPort()) + DOWN);
    await("down connected, up gone", all -> connected(all, "down") && all.size() == 1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (edge.broker()
            .sessions()
            .store()
            .load("$bridge/up")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
        != null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("session $bridge/up still stored 10 s after up was removed");
      }
      Thread.sleep(100);
    }
    assertThat(edge.broker().sessions().local("$bridge/up")).isNull();
    assertDownWorks("cmd/3");
  }

  private void assertDownWorks(String topic) throws Exception {
    Mqtt5BlockingClient edgeSub = edge.v5("edge-sub");
    Inbox<Mqtt5Publish> edgeInbox =
        Inbox.connectAndSubscribe(edgeSub, "edge/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient cloudPub = cloud.v5("cloud-pub");
    cloudPub.connect();
    publish(cloudPub, topic, "down");
    assertThat(edgeInbox.next().getTopic().toString()).isEqualTo("edge/" + topic);
    cloudPub.disconnect();
    edgeSub.disconnect();
  }

  private static void publish(Mqtt5BlockingClient client, String topic, String text)
      throws InterruptedException {
    // once: right after the bridge reopens its local session, a publish must not be refused (the
    // session's old and new copy on this node both take it without an error PUBACK)
    client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .send();
  }

  /** Replaces the file in one step, so that the broker never reads half of it. */
  private void write(String text) throws Exception {
    Path tmp = dir.resolve("bridges.tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static boolean connected(List<BridgeStatus> all, String dataflow) {
    return all.stream().anyMatch(s -> s.dataflow().equals(dataflow) && s.connected());
  }

  private List<BridgeStatus> statuses() throws Exception {
    return edge.broker()
        .bridges()
        .statuses()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private void await(String what, Predicate<List<BridgeStatus>> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      List<BridgeStatus> all = statuses();
      if (condition.test(all)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within 20 s: " + all);
      }
      Thread.sleep(100);
    }
  }
}
