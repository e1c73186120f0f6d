package io.mqttgrid.session;

import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
}
