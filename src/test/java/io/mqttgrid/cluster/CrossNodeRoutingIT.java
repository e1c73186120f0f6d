package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.mqttgrid.testing.LoopbackHazelcast;
import io.mqttgrid.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one JVM, joined over loopback TCP: publishes cross nodes through the route table,
 * shared groups span nodes, retained messages are served by either node. (The multi-process cluster
 * tests kill nodes for real; this one checks the routing itself, quickly.)
 */
class CrossNodeRoutingIT {

  @TempDir static Path dir;
  static TestBroker a;
  static TestBroker b;

  @BeforeAll
  static void start() throws Exception {
    int portA = TestBroker.freePort();
    int portB = TestBroker.freePort();
    String cluster = "crossnode-" + System.nanoTime();
    a =
        TestBroker.start(
            Map.of(
                "node.id",
                "a",
                "cluster.mode",
                "file",
                "cluster.config-file",
                LoopbackHazelcast.configFile(dir, "a.xml", cluster, portA, portA, portB)
                    .toString()));
    b =
        TestBroker.start(
            Map.of(
                "node.id",
                "b",
                // small, for the offline session on b that a publisher on a fills
                "session.max-queued-messages",
                "2",
                "cluster.mode",
                "file",
                "cluster.config-file",
                LoopbackHazelcast.configFile(dir, "b.xml", cluster, portB, portA, portB)
                    .toString()));
    long deadline = System.currentTimeMillis() + 30_000;
    while (a.broker().hazelcast().getCluster().getMembers().size() < 2
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    assertThat(a.broker().hazelcast().getCluster().getMembers()).hasSize(2);
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
  }

  private static void awaitRoute(TestBroker on, String topic) throws InterruptedException {
    // routes reach the other node's mirror through a Hazelcast listener: wait until it matches
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      if (on.broker().hazelcast().getMap(HazelcastRouteTable.MAP).values().stream()
          .anyMatch(
              f ->
                  io.mqttgrid.routing.Topics.matches(
                      String.valueOf(f).replaceFirst("^\\$share/[^/]+/", ""), topic))) {
        Thread.sleep(200);
        return;
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aPublishOnOneNodeReachesSubscribersOnTheOtherInOrder() throws Exception {
    Mqtt5BlockingClient sub = b.v5("cross-sub");
    sub.connect();
    sub.subscribeWith().topicFilter("cross/+/data").qos(MqttQos.AT_LEAST_ONCE).send();
    awaitRoute(a, "cross/x/data");
    try (var inbox = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt5BlockingClient pub = a.v5("cross-pub");
      pub.connect();
      int n = 500;
      // MQTT 4.6: order holds per topic and QoS; each QoS is checked as its own stream
      for (MqttQos qos : new MqttQos[] {MqttQos.AT_MOST_ONCE, MqttQos.AT_LEAST_ONCE}) {
        for (int i = 0; i < n; i++) {
          pub.publishWith()
              .topic("cross/x/data")
              .qos(qos)
              .payload(String.valueOf(i).getBytes(StandardCharsets.UTF_8))
              .send();
        }
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          Optional<Mqtt5Publish> m = inbox.receive(10, TimeUnit.SECONDS);
          assertThat(m).as("message %d at %s", i, qos).isPresent();
          got.add(
              Integer.parseInt(new String(m.get().getPayloadAsBytes(), StandardCharsets.UTF_8)));
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          expected.add(i);
        }
        assertThat(got).as("order at %s", qos).isEqualTo(expected);
      }
      pub.disconnect();
    }
    sub.disconnect();
  }

  @Test
  void aSharedGroupWithMembersOnBothNodesGetsEachMessageOnce() throws Exception {
    Mqtt5BlockingClient onA = a.v5("shared-a");
    Mqtt5BlockingClient onB = b.v5("shared-b");
    onA.connect();
    onB.connect();
    onA.subscribeWith().topicFilter("$share/g/jobs/#").qos(MqttQos.AT_LEAST_ONCE).send();
    onB.subscribeWith().topicFilter("$share/g/jobs/#").qos(MqttQos.AT_LEAST_ONCE).send();
    awaitRoute(a, "jobs/1");
    awaitRoute(b, "jobs/1");
    try (var inA = onA.publishes(MqttGlobalPublishFilter.ALL);
        var inB = onB.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt5BlockingClient pub = a.v5("shared-pub");
      pub.connect();
      int n = 100;
      for (int i = 0; i < n; i++) {
        pub.publishWith()
            .topic("jobs/" + i)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(new byte[] {1})
            .send();
      }
      Set<String> seen = new HashSet<>();
      int fromA = 0;
      int fromB = 0;
      long deadline = System.currentTimeMillis() + 15_000;
      while (seen.size() < n && System.currentTimeMillis() < deadline) {
        Optional<Mqtt5Publish> m = inA.receive(50, TimeUnit.MILLISECONDS);
        if (m.isPresent()) {
          assertThat(seen.add(m.get().getTopic().toString()))
              .as("duplicate %s", m.get().getTopic())
              .isTrue();
          fromA++;
        }
        m = inB.receive(50, TimeUnit.MILLISECONDS);
        if (m.isPresent()) {
          assertThat(seen.add(m.get().getTopic().toString()))
              .as("duplicate %s", m.get().getTopic())
              .isTrue();
          fromB++;
        }
      }
      assertThat(seen).hasSize(n);
      assertThat(fromA).isPositive();
      assertThat(fromB).isPositive();
      assertThat(inA.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
      assertThat(inB.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
      pub.disconnect();
    }
    onA.disconnect();
    onB.disconnect();
  }

  @Test
  void aRetainedMessageSetThroughOneNodeIsServedByTheOther() throws Exception {
    Mqtt5BlockingClient pub = a.v5("retain-pub");
    pub.connect();
    pub.publishWith()
        .topic("cross/retained/state")
        .retain(true)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("on".getBytes(StandardCharsets.UTF_8))
        .send();
    pub.disconnect();
    Mqtt5BlockingClient sub = b.v5("retain-sub");
    sub.connect();
    try (var inbox = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      long deadline = System.currentTimeMillis() + 5_000;
      Optional<Mqtt5Publish> got = Optional.empty();
      while (got.isEmpty() && System.currentTimeMillis() < deadline) {
        sub.subscribeWith().topicFilter("cross/retained/#").qos(MqttQos.AT_LEAST_ONCE).send();
        got = inbox.receive(500, TimeUnit.MILLISECONDS);
        sub.unsubscribeWith().topicFilter("cross/retained/#").send();
      }
      assertThat(got).isPresent();
      assertThat(got.get().isRetain()).isTrue();
      assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("on");
    }
    sub.disconnect();
  }

  @Test
  void aSessionMovesToTheOtherNodeWhenItsClientReconnectsThere() throws Exception {
    java.util.concurrent.CompletableFuture<Integer> disconnectReason =
        new java.util.concurrent.CompletableFuture<>();
    Mqtt5BlockingClient first =
        com.hivemq.client.mqtt.MqttClient.builder()
            .useMqttVersion5()
            .identifier("mover")
            .serverHost("127.0.0.1")
            .serverPort(a.mqttPort())
            .addDisconnectedListener(
                ctx -> {
                  if (ctx.getCause()
                      instanceof
                      com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException d) {
                    disconnectReason.complete(d.getMqttMessage().getReasonCode().getCode());
                  } else {
                    disconnectReason.complete(-1);
                  }
                })
            .buildBlocking();
    first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    first.subscribeWith().topicFilter("mover/inbox").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient second = b.v5("mover");
    var connack = second.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
    assertThat(connack.isSessionPresent()).isTrue();
    assertThat(disconnectReason.get(10, TimeUnit.SECONDS)).isEqualTo(0x8E);
    awaitRoute(a, "mover/inbox");
    try (var inbox = second.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt5BlockingClient pub = a.v5("mover-pub");
      pub.connect();
      pub.publishWith()
          .topic("mover/inbox")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("found you".getBytes())
          .send();
      Optional<Mqtt5Publish> got = inbox.receive(10, TimeUnit.SECONDS);
      assertThat(got).isPresent();
      assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("found you");
      assertThat(inbox.receive(500, TimeUnit.MILLISECONDS))
          .as("delivered once, by the new owner only")
          .isEmpty();
      pub.disconnect();
    }
    second.disconnectWith().sessionExpiryInterval(0).send();
  }

  @Test
  void aPublishThatTheFullSessionOnTheOtherNodeCannotKeepIsRefusedWithQuotaExceeded()
      throws Exception {
    Mqtt5BlockingClient sub = b.v5("full-on-b");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    sub.subscribeWith().topicFilter("full/inbox").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect(); // offline on b, keeps at most 2 messages
    awaitRoute(a, "full/inbox");
    Mqtt5BlockingClient pub = a.v5("full-pub");
    pub.connect();
    for (int i = 0; i < 2; i++) {
      pub.publishWith()
          .topic("full/inbox")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(new byte[] {1})
          .send();
    }
    assertThatThrownBy(
            () ->
                pub.publishWith()
                    .topic("full/inbox")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .payload(new byte[] {1})
                    .send())
        .isInstanceOfSatisfying(
            com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(
                        com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode
                            .QUOTA_EXCEEDED));
    pub.disconnect();
    Mqtt5BlockingClient back = b.v5("full-on-b");
    back.connectWith().cleanStart(true).send(); // ends the session
    back.disconnect();
  }
}
