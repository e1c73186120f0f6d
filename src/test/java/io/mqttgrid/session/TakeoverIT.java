package io.mqttgrid.session;

import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A second CONNECT with a client id that is connected: the first connection ends, the session goes
 * on.
 */
@WithBroker
class TakeoverIT {

  static TestBroker broker;

  private static RawMqttClient open(boolean v5) throws Exception {
    return v5 ? RawMqttClient.open(broker.mqttPort(), 5) : RawMqttClient.open(broker.mqttPort(), 4);
  }

  private static void publish(String topic, String... payloads) {
    Mqtt5BlockingClient pub = broker.v5("takeover-pub-" + System.nanoTime());
    pub.connect();
    for (String p : payloads) {
      pub.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(p.getBytes(StandardCharsets.UTF_8))
          .send();
    }
    pub.disconnect();
  }

  /** Every packet the first connection gets until the broker closes it. */
  private static List<Packet> untilClosed(RawMqttClient c) throws InterruptedException {
    List<Packet> got = new ArrayList<>();
    Packet p;
    while ((p = c.poll(Duration.ofSeconds(10))) != null) {
      got.add(p);
      if (p.type() == CLOSED) {
        return got;
      }
    }
    throw new AssertionError("connection not closed; got " + got);
  }

  @Test
  void v5FirstConnectionGetsSessionTakenOver() throws Exception {
    try (RawMqttClient first = open(true);
        RawMqttClient second = open(true)) {
      assertThat(first.connect(new Connect("takeover-v5")).reasonCode()).isZero();
      assertThat(second.connect(new Connect("takeover-v5")).reasonCode()).isZero();
      List<Packet> got = untilClosed(first);
      assertThat(got).extracting(p -> p.type()).containsExactly(DISCONNECT, CLOSED);
      assertThat(got.get(0).reasonCode()).isEqualTo(0x8E);
      // the new connection works
      second.subscribe(1, "takeover/v5", 1);
      assertThat(second.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
    }
  }

  @Test
  void v3FirstConnectionIsClosed() throws Exception {
    try (RawMqttClient first = open(false);
        RawMqttClient second = open(false)) {
      assertThat(first.connect(new Connect("takeover-v3")).reasonCode()).isZero();
      assertThat(second.connect(new Connect("takeover-v3")).reasonCode()).isZero();
      assertThat(untilClosed(first)).extracting(p -> p.type()).containsExactly(CLOSED);
      second.subscribe(1, "takeover/v3", 1);
      assertThat(second.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
    }
  }

  @ParameterizedTest(name = "MQTT 5: {0}")
  @ValueSource(booleans = {true, false})
  void takeoverWithoutCleanStartContinuesSubscriptionsAndMessages(boolean v5) throws Exception {
    String id = "continue-" + (v5 ? "v5" : "v3");
    String topic = "continue/" + id;
    try (RawMqttClient first = open(v5);
        RawMqttClient second = open(v5)) {
      // a window of one (v5) leaves m1 queued behind the unacknowledged m0
      Connect c1 = new Connect(id).cleanStart(v5).sessionExpiry(300);
      if (v5) {
        c1.receiveMaximum(1);
      }
      first.connect(c1);
      first.subscribe(1, topic, 1);
      first.expect(RawMqttClient.SUBACK);
      publish(topic, "m0", "m1");
      Packet m0 = first.expect(PUBLISH);
      assertThat(m0.payloadText()).isEqualTo("m0");
      if (!v5) {
        assertThat(first.expect(PUBLISH).payloadText()).isEqualTo("m1");
      }
      // no PUBACK from the first connection

      Packet connack = second.connect(new Connect(id).cleanStart(false).sessionExpiry(300));
      assertThat(connack.sessionPresent()).isTrue();
      assertThat(untilClosed(first).get(0).type()).isEqualTo(v5 ? DISCONNECT : CLOSED);

      Packet again = second.expect(PUBLISH);
      assertThat(again.payloadText()).isEqualTo("m0");
      assertThat(again.dup()).isTrue();
      assertThat(again.packetId()).isEqualTo(m0.packetId());
      second.puback(again.packetId());
      Packet next = second.expect(PUBLISH);
      assertThat(next.payloadText()).isEqualTo("m1");
      second.puback(next.packetId());
      // the subscription came along
      publish(topic, "m2");
      Packet m2 = second.expect(PUBLISH);
      assertThat(m2.payloadText()).isEqualTo("m2");
      assertThat(m2.dup()).isFalse();
      second.puback(m2.packetId());
      assertThat(second.drain(Duration.ofMillis(500))).isEmpty();
    }
  }

  @Test
  void takeoverWithCleanStartDiscardsTheSession() throws Exception {
    try (RawMqttClient first = open(true);
        RawMqttClient second = open(true)) {
      first.connect(new Connect("takeover-clean").sessionExpiry(300));
      first.subscribe(1, "takeover/clean", 1);
      first.expect(RawMqttClient.SUBACK);
      publish("takeover/clean", "old");
      first.expect(PUBLISH); // not acknowledged
      Packet connack =
          second.connect(new Connect("takeover-clean").cleanStart(true).sessionExpiry(300));
      assertThat(connack.sessionPresent()).isFalse();
      assertThat(untilClosed(first).get(0).reasonCode()).isEqualTo(0x8E);
      publish("takeover/clean", "new");
      // neither the unacknowledged message nor the subscription survived
      assertThat(second.drain(Duration.ofSeconds(1))).isEmpty();
    }
  }

  @Test
  void publishesWhileASessionIsTakenOverAgainAndAgainAreNeitherRefusedNorLost() throws Exception {
    // each takeover on this node has a moment in which the old and the new copy of the session
    // are both listed; a publish then must reach the session, with success, not fail
    Set<String> got = ConcurrentHashMap.newKeySet();
    Mqtt5BlockingClient sub = resumed("takeover-stream", got);
    sub.subscribeWith().topicFilter("takeover/stream").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient pub = broker.v5("takeover-stream-pub");
    pub.connect();
    AtomicInteger acknowledged = new AtomicInteger();
    List<String> refused = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread publisher =
        new Thread(
            () -> {
              for (int i = 0; !stop.get(); i++) {
                try {
                  pub.publishWith()
                      .topic("takeover/stream")
                      .qos(MqttQos.AT_LEAST_ONCE)
                      .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
                      .send();
                  acknowledged.set(i + 1);
                } catch (Mqtt5PubAckException e) {
                  refused.add("m" + i + ": " + e.getMqttMessage().getReasonCode());
                  acknowledged.set(i + 1);
                }
              }
            },
            "takeover-stream-publisher");
    publisher.start();
    for (int takeover = 0; takeover < 30; takeover++) {
      Thread.sleep(20);
      sub = resumed("takeover-stream", got); // takes the session over from the previous client
    }
    stop.set(true);
    publisher.join(10_000);
    int sent = acknowledged.get();
    Await.until(
        "every acknowledged message delivered",
        Duration.ofSeconds(15),
        () -> got.size() >= sent - refused.size());
    assertThat(refused).as("publishes refused during the takeovers").isEmpty();
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < sent; i++) {
      if (!got.contains("m" + i)) {
        missing.add("m" + i);
      }
    }
    assertThat(missing).as("acknowledged and not delivered, of " + sent).isEmpty();
    pub.disconnect();
    sub.disconnect();
  }

  /** A new connection that resumes {@code clientId}'s session and records what it receives. */
  private static Mqtt5BlockingClient resumed(String clientId, Set<String> got) {
    Mqtt5BlockingClient c = broker.v5(clientId);
    c.toAsync()
        .publishes(
            MqttGlobalPublishFilter.ALL,
            p -> got.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
    c.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
    return c;
  }
}
