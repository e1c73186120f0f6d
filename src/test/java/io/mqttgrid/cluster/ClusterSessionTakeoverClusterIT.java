package io.mqttgrid.cluster;

import static io.mqttgrid.cluster.ClusterClients.bytes;
import static io.mqttgrid.cluster.ClusterClients.report;
import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session takeover across nodes (three broker JVMs): a client connected to one node connects again
 * with the same client id through another; the old connection is closed (MQTT 5: DISCONNECT 0x8E)
 * and the new node continues the session: subscriptions, messages queued while the client was
 * offline, and messages in flight on the old connection, resent with DUP and their original packet
 * ids (MQTT-4.4.0-1).
 */
class ClusterSessionTakeoverClusterIT {

  private static final int SESSION_TAKEN_OVER = 0x8E;

  private static ClusterFixture cluster;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = ClusterFixture.start(ClusterSessionTakeoverClusterIT.class, 3);
    report("takeover: 3 nodes formed one cluster in %d ms", cluster.formationTime().toMillis());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private int port(int node) {
    return cluster.node(node).mqttPort();
  }

  private RawMqttClient rawV5(int node) throws Exception {
    RawMqttClient c = RawMqttClient.open(port(node), 5);
    open.add(c);
    return c;
  }

  private RawMqttClient rawV3(int node) throws Exception {
    RawMqttClient c = RawMqttClient.open(port(node), 4);
    open.add(c);
    return c;
  }

  private Mqtt5AsyncClient publisher(int node, String id) {
    Mqtt5AsyncClient c = ClusterClients.v5(port(node), id);
    c.connectWith().cleanStart(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    open.add(() -> c.disconnect().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join());
    return c;
  }

  private static void publish(Mqtt5AsyncClient pub, String topic, String payload) {
    Mqtt5PublishResult r =
        pub.publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(bytes(payload))
            .send()
            .orTimeout(15, TimeUnit.SECONDS)
            .join();
    assertThat(ClusterClients.reasonCode(r)).as("PUBACK of %s", payload).isEqualTo(0x00);
  }

  /**
   * Publishes QoS 0 probes until {@code sub} gets one: its route has reached the publisher's node.
   * Other packets it receives meanwhile are a failure.
   */
  private static void awaitRoute(Mqtt5AsyncClient pub, String probeTopic, RawMqttClient sub)
      throws Exception {
    for (int i = 0; i < 100; i++) {
      pub.publishWith().topic(probeTopic).qos(MqttQos.AT_MOST_ONCE).payload(bytes("probe")).send();
      Packet p = sub.poll(Duration.ofMillis(200));
      if (p != null) {
        assertThat(p.type()).as("probe expected, got %s", p).isEqualTo(PUBLISH);
        assertThat(p.topic()).isEqualTo(probeTopic);
        // later probes may still be on their way
        sub.drain(Duration.ofMillis(300))
            .forEach(q -> assertThat(q.topic()).as("%s", q).isEqualTo(probeTopic));
        return;
      }
    }
    throw new AssertionError("route for " + probeTopic + " never reached the publisher's node");
  }

  private static Packet nextPublish(RawMqttClient c) throws InterruptedException {
    Packet p = c.expect(PUBLISH, Duration.ofSeconds(15));
    assertThat(p.qos()).as("%s", p).isEqualTo(1);
    return p;
  }

  @Test
  void aV5ClientConnectingAgainThroughAnotherNodeTakesOverItsSessionWithQueuedAndInflightMessages()
      throws Exception {
    String id = "takeover-v5";
    Mqtt5AsyncClient pub = publisher(3, "takeover-pub-n3");

    // a persistent session on n1 with one subscription
    RawMqttClient setup = rawV5(1);
    Packet connack =
        setup.connect(new Connect(id).cleanStart(true).sessionExpiry(300).receiveMaximum(2));
    assertThat(connack.reasonCode()).isZero();
    setup.subscribe(1, "it/takeover/#", 1);
    assertThat(setup.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
    awaitRoute(pub, "it/takeover/probe", setup);
    setup.disconnect();
    assertThat(setup.closedWithin(Duration.ofSeconds(5))).isTrue();

    // offline: three messages wait in its queue
    for (int i = 1; i <= 3; i++) {
      publish(pub, "it/takeover/data", "offline-" + i);
    }

    // back on n1 with room for two messages in flight: it gets two, acknowledges neither
    RawMqttClient onA = rawV5(1);
    Packet resumed =
        onA.connect(new Connect(id).cleanStart(false).sessionExpiry(300).receiveMaximum(2));
    assertThat(resumed.sessionPresent()).as("session present on n1").isTrue();
    Packet first = nextPublish(onA);
    Packet second = nextPublish(onA);
    assertThat(List.of(first.payloadText(), second.payloadText()))
        .containsExactly("offline-1", "offline-2");
    assertThat(onA.drain(Duration.ofMillis(500)))
        .as("nothing beyond the Receive Maximum of 2")
        .isEmpty();
    // two more while the window is full: they queue behind offline-3
    publish(pub, "it/takeover/data", "live-1");
    publish(pub, "it/takeover/data", "live-2");

    // the same client id through n2 takes the session over
    RawMqttClient onB = rawV5(2);
    long start = System.nanoTime();
    Packet taken =
        onB.connect(new Connect(id).cleanStart(false).sessionExpiry(300).receiveMaximum(10));
    long takeoverMs = ClusterClients.millisSince(start);
    assertThat(taken.reasonCode()).isZero();
    assertThat(taken.sessionPresent()).as("session present on n2").isTrue();

    Packet end =
        onA.skipUntil(p -> p.type() == DISCONNECT || p.type() == CLOSED, Duration.ofSeconds(10));
    assertThat(end.type())
        .as("the old connection on n1 gets DISCONNECT, got %s", end)
        .isEqualTo(DISCONNECT);
    assertThat(end.reasonCode()).as("DISCONNECT reason").isEqualTo(SESSION_TAKEN_OVER);
    assertThat(onA.closedWithin(Duration.ofSeconds(5))).as("n1 closes the old connection").isTrue();

    List<Packet> resent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Packet p = nextPublish(onB);
      resent.add(p);
      onB.puback(p.packetId());
    }
    assertThat(resent)
        .extracting(Packet::payloadText)
        .containsExactly("offline-1", "offline-2", "offline-3", "live-1", "live-2");
    assertThat(resent.get(0).dup())
        .as("in flight on n1, resent with DUP: %s", resent.get(0))
        .isTrue();
    assertThat(resent.get(1).dup())
        .as("in flight on n1, resent with DUP: %s", resent.get(1))
        .isTrue();
    assertThat(resent.get(0).packetId()).as("original packet id").isEqualTo(first.packetId());
    assertThat(resent.get(1).packetId()).as("original packet id").isEqualTo(second.packetId());
    assertThat(resent.subList(2, 5)).as("never sent before: no DUP").noneMatch(Packet::dup);

    // the subscription lives on n2 now, and the old connection gets nothing more
    publish(pub, "it/takeover/data", "after");
    Packet after = nextPublish(onB);
    assertThat(after.payloadText()).isEqualTo("after");
    assertThat(after.dup()).isFalse();
    onB.puback(after.packetId());
    assertThat(onB.drain(Duration.ofMillis(500))).as("each message once").isEmpty();
    report(
        "takeover: n1 -> n2 CONNACK after %d ms; 2 in-flight messages resent with DUP, 3 queued delivered",
        takeoverMs);
    onB.disconnectWithSessionExpiry(0);
  }

  @Test
  void aV311ClientConnectingAgainThroughAnotherNodeTakesOverItsSessionAndTheOldConnectionIsClosed()
      throws Exception {
    String id = "takeover-v311";
    Mqtt5AsyncClient pub = publisher(1, "takeover3-pub-n1");

    RawMqttClient onB = rawV3(2);
    assertThat(onB.connect(new Connect(id).cleanStart(false)).reasonCode()).isZero();
    onB.subscribe(1, "it/takeover3/#", 1);
    assertThat(onB.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
    awaitRoute(pub, "it/takeover3/probe", onB);
    publish(pub, "it/takeover3/data", "m1");
    Packet unacknowledged = nextPublish(onB);
    assertThat(unacknowledged.payloadText()).isEqualTo("m1");

    RawMqttClient onC = rawV3(3);
    Packet connack = onC.connect(new Connect(id).cleanStart(false));
    assertThat(connack.reasonCode()).isZero();
    assertThat(connack.sessionPresent()).as("session present on n3").isTrue();
    // MQTT 3.1.1 has no DISCONNECT from the server: the old connection is closed (MQTT-3.1.4-2)
    Packet end =
        onB.skipUntil(p -> p.type() == CLOSED || p.type() == DISCONNECT, Duration.ofSeconds(10));
    assertThat(end.type()).as("old connection on n2: %s", end).isEqualTo(CLOSED);

    Packet resent = nextPublish(onC);
    assertThat(resent.payloadText()).isEqualTo("m1");
    assertThat(resent.dup()).isTrue();
    assertThat(resent.packetId()).isEqualTo(unacknowledged.packetId());
    onC.puback(resent.packetId());
    publish(pub, "it/takeover3/data", "m2");
    Packet next = nextPublish(onC);
    assertThat(next.payloadText()).isEqualTo("m2");
    onC.puback(next.packetId());
    // end the session: a clean session replaces it
    onC.disconnect();
    RawMqttClient clean = rawV3(3);
    assertThat(clean.connect(new Connect(id).cleanStart(true)).sessionPresent()).isFalse();
    clean.disconnect();
  }
}
