package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PUBCOMP;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static io.mqttgrid.testing.RawMqttClient.PUBREC;
import static io.mqttgrid.testing.RawMqttClient.PUBREL;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QoS 0/1/2 flows between MQTT 5 and 3.1.1 clients: packet ids, exactly-once across reconnects, the
 * outbound in-flight window, redelivery, and the inbound limits (Receive Maximum, Maximum QoS).
 */
@WithBroker
class QosFlowIT {

  static TestBroker broker;

  private static Mqtt5BlockingClient publisher(String id) {
    Mqtt5BlockingClient pub = broker.v5(id);
    pub.connect();
    return pub;
  }

  private static void publish(Mqtt5BlockingClient pub, String topic, String payload, MqttQos qos) {
    pub.publishWith()
        .topic(topic)
        .qos(qos)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static RawMqttClient open(boolean v5) throws Exception {
    return v5 ? RawMqttClient.open(broker.mqttPort(), 5) : RawMqttClient.open(broker.mqttPort(), 4);
  }

  /**
   * A persistent session: v5 with a Session Expiry Interval ({@code fresh}: Clean Start), v3 with
   * clean session 0 (every client id in this class is new to the broker, so a v3 session starts
   * empty).
   */
  private static Connect persistent(boolean v5, String clientId, boolean fresh) {
    return new Connect(clientId).cleanStart(v5 && fresh).sessionExpiry(300);
  }

  private static Connect persistent(String clientId, boolean fresh) {
    return persistent(true, clientId, fresh);
  }

  @Test
  void v3PublisherReachesV5AndV3SubscribersAtEachQos() throws Exception {
    Mqtt5BlockingClient sub5 = broker.v5("cross-sub5");
    sub5.connect();
    Mqtt3BlockingClient sub3 = broker.v3("cross-sub3");
    sub3.connect();
    sub5.subscribeWith().topicFilter("cross/#").qos(MqttQos.EXACTLY_ONCE).send();
    sub3.subscribeWith().topicFilter("cross/+").qos(MqttQos.EXACTLY_ONCE).send();
    try (Mqtt5BlockingClient.Mqtt5Publishes p5 = sub5.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt3BlockingClient.Mqtt3Publishes p3 = sub3.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt3BlockingClient pub = broker.v3("cross-pub3");
      pub.connect();
      for (MqttQos qos : MqttQos.values()) {
        String payload = "v3-" + qos.getCode();
        pub.publishWith()
            .topic("cross/t")
            .qos(qos)
            .payload(payload.getBytes(StandardCharsets.UTF_8))
            .send();
        Optional<Mqtt5Publish> r5 = p5.receive(10, TimeUnit.SECONDS);
        assertThat(r5).isPresent();
        assertThat(r5.get().getQos()).isEqualTo(qos);
        assertThat(new String(r5.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
            .isEqualTo(payload);
        Optional<Mqtt3Publish> r3 = p3.receive(10, TimeUnit.SECONDS);
        assertThat(r3).isPresent();
        assertThat(r3.get().getQos()).isEqualTo(qos);
        assertThat(new String(r3.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
            .isEqualTo(payload);
      }
      // each subscriber got each message once
      assertThat(p5.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
      assertThat(p3.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
      pub.disconnect();
    }
    sub5.disconnect();
    sub3.disconnect();
  }

  @Test
  void packetIdsAreAllocatedPerSubscriber() throws Exception {
    try (RawMqttClient a = open(true);
        RawMqttClient b = open(false)) {
      a.connect(new Connect("ids-a"));
      b.connect(new Connect("ids-b"));
      a.subscribe(1, "ids/#", 1);
      a.expect(RawMqttClient.SUBACK);
      b.subscribe(1, "ids/b", 1);
      b.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher("ids-pub");
      publish(pub, "ids/a", "a1", MqttQos.AT_LEAST_ONCE);
      publish(pub, "ids/a", "a2", MqttQos.AT_LEAST_ONCE);
      publish(pub, "ids/b", "b1", MqttQos.AT_LEAST_ONCE);
      List<Integer> idsOfA = new ArrayList<>();
      for (String expected : List.of("a1", "a2", "b1")) {
        Packet p = a.expect(PUBLISH);
        assertThat(p.payloadText()).isEqualTo(expected);
        assertThat(p.qos()).isEqualTo(1);
        idsOfA.add(p.packetId());
      }
      // unacknowledged messages to one client never share an id
      assertThat(idsOfA).doesNotHaveDuplicates().doesNotContain(0);
      Packet toB = b.expect(PUBLISH);
      assertThat(toB.payloadText()).isEqualTo("b1");
      // B's first message takes B's first id: ids do not come from a counter shared with A
      assertThat(toB.packetId()).isEqualTo(1);
      pub.disconnect();
    }
  }

  @Test
  void qos2IsResentWithDupWhenSubscriberDisconnectsBeforePubrec() throws Exception {
    int packetId;
    try (RawMqttClient sub = open(true)) {
      sub.connect(persistent("q2-nopubrec", true));
      sub.subscribe(1, "q2/nopubrec", 2);
      assertThat(sub.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(2);
      Mqtt5BlockingClient pub = publisher("q2-nopubrec-pub");
      publish(pub, "q2/nopubrec", "once", MqttQos.EXACTLY_ONCE);
      pub.disconnect();
      Packet first = sub.expect(PUBLISH);
      assertThat(first.qos()).isEqualTo(2);
      assertThat(first.dup()).isFalse();
      packetId = first.packetId();
    } // connection lost before PUBREC
    try (RawMqttClient sub = open(true)) {
      assertThat(sub.connect(persistent("q2-nopubrec", false)).sessionPresent()).isTrue();
      Packet again = sub.expect(PUBLISH);
      assertThat(again.payloadText()).isEqualTo("once");
      assertThat(again.dup()).isTrue();
      assertThat(again.qos()).isEqualTo(2);
      assertThat(again.packetId()).isEqualTo(packetId);
      sub.pubrec(packetId);
      assertThat(sub.expect(PUBREL).packetId()).isEqualTo(packetId);
      sub.pubcomp(packetId);
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
      sub.disconnect();
    }
    try (RawMqttClient sub = open(true)) {
      assertThat(sub.connect(persistent("q2-nopubrec", false)).sessionPresent()).isTrue();
      // the completed exchange is not repeated
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
    }
  }

  @Test
  void qos2IsReleasedNotResentWhenSubscriberDisconnectsBeforePubcomp() throws Exception {
    int packetId;
    try (RawMqttClient sub = open(true)) {
      sub.connect(persistent("q2-nopubcomp", true));
      sub.subscribe(1, "q2/nopubcomp", 2);
      sub.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher("q2-nopubcomp-pub");
      publish(pub, "q2/nopubcomp", "once", MqttQos.EXACTLY_ONCE);
      pub.disconnect();
      Packet first = sub.expect(PUBLISH);
      packetId = first.packetId();
      sub.pubrec(packetId);
      assertThat(sub.expect(PUBREL).packetId()).isEqualTo(packetId);
    } // connection lost before PUBCOMP
    try (RawMqttClient sub = open(true)) {
      assertThat(sub.connect(persistent("q2-nopubcomp", false)).sessionPresent()).isTrue();
      // MQTT-4.4.0-1: after PUBREC the broker resends PUBREL, never the PUBLISH (exactly once)
      Packet rel = sub.expect(PUBREL);
      assertThat(rel.packetId()).isEqualTo(packetId);
      sub.pubcomp(packetId);
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
      sub.disconnect();
    }
    try (RawMqttClient sub = open(true)) {
      assertThat(sub.connect(persistent("q2-nopubcomp", false)).sessionPresent()).isTrue();
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
    }
  }

  @ParameterizedTest(name = "MQTT 5: {0}")
  @ValueSource(booleans = {true, false})
  void inboundQos2IsRoutedOnceWhenPublisherResendsAfterReconnect(boolean v5) throws Exception {
    String id = "q2-in-" + (v5 ? "v5" : "v3");
    String topic = "q2in/" + id;
    Mqtt5BlockingClient sub = broker.v5(id + "-sub");
    sub.connect();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send();
    try (Mqtt5BlockingClient.Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      try (RawMqttClient pub = open(v5)) {
        pub.connect(persistent(v5, id, true));
        pub.publish(topic, "first", 2, false, 7, null);
        assertThat(pub.expect(PUBREC).packetId()).isEqualTo(7);
      } // connection lost before PUBREL
      try (RawMqttClient pub = open(v5)) {
        assertThat(pub.connect(persistent(v5, id, false)).sessionPresent()).isTrue();
        // the publisher cannot know whether its PUBREC was lost: it sends the PUBLISH again
        pub.send(Packets.dup(Packets.publish(pub.version(), topic, "first", 2, false, 7, null)));
        Packet rec = pub.expect(PUBREC);
        assertThat(rec.packetId()).isEqualTo(7);
        pub.pubrel(7);
        Packet comp = pub.expect(PUBCOMP);
        assertThat(comp.packetId()).isEqualTo(7);
        assertThat(comp.reasonCode()).isZero();
        // the id is free again: the same id now carries a new message
        pub.publish(topic, "second", 2, false, 7, null);
        assertThat(pub.expect(PUBREC).packetId()).isEqualTo(7);
        pub.pubrel(7);
        assertThat(pub.expect(PUBCOMP).packetId()).isEqualTo(7);
        pub.disconnectWithSessionExpiry(0);
      }
      List<String> payloads = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Optional<Mqtt5Publish> m = received.receive(10, TimeUnit.SECONDS);
        assertThat(m).isPresent();
        payloads.add(new String(m.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
      }
      assertThat(payloads).containsExactly("first", "second");
      assertThat(received.receive(1, TimeUnit.SECONDS)).isEmpty();
    }
    sub.disconnect();
  }

  @Test
  void outboundWindowHonoursClientReceiveMaximum() throws Exception {
    try (RawMqttClient sub = open(true)) {
      sub.connect(new Connect("window-sub").receiveMaximum(2));
      sub.subscribe(1, "window/t", 1);
      sub.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher("window-pub");
      for (int i = 0; i < 5; i++) {
        publish(pub, "window/t", "m" + i, MqttQos.AT_LEAST_ONCE);
      }
      pub.disconnect();
      Packet m0 = sub.expect(PUBLISH);
      Packet m1 = sub.expect(PUBLISH);
      assertThat(List.of(m0.payloadText(), m1.payloadText())).containsExactly("m0", "m1");
      // two unacknowledged: the broker holds the rest back
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
      sub.puback(m0.packetId());
      Packet m2 = sub.expect(PUBLISH);
      assertThat(m2.payloadText()).isEqualTo("m2");
      assertThat(sub.drain(Duration.ofMillis(500))).isEmpty();
      sub.puback(m1.packetId());
      sub.puback(m2.packetId());
      Packet m3 = sub.expect(PUBLISH);
      Packet m4 = sub.expect(PUBLISH);
      assertThat(List.of(m3.payloadText(), m4.payloadText())).containsExactly("m3", "m4");
      assertThat(List.of(m0.dup(), m1.dup(), m2.dup(), m3.dup(), m4.dup())).containsOnly(false);
    }
  }

  @ParameterizedTest(name = "MQTT 5: {0}")
  @ValueSource(booleans = {true, false})
  void unacknowledgedMessagesAreResentWithDupAfterReconnect(boolean v5) throws Exception {
    String id = "resend-" + (v5 ? "v5" : "v3");
    String topic = "resend/" + id;
    List<Packet> first = new ArrayList<>();
    try (RawMqttClient sub = open(v5)) {
      sub.connect(persistent(v5, id, true));
      sub.subscribe(1, topic, 1);
      sub.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher(id + "-pub");
      for (int i = 0; i < 3; i++) {
        publish(pub, topic, "m" + i, MqttQos.AT_LEAST_ONCE);
      }
      pub.disconnect();
      for (int i = 0; i < 3; i++) {
        first.add(sub.expect(PUBLISH));
      }
    } // no PUBACK sent
    try (RawMqttClient sub = open(v5)) {
      assertThat(sub.connect(persistent(v5, id, false)).sessionPresent()).isTrue();
      for (Packet original : first) {
        Packet again = sub.expect(PUBLISH);
        assertThat(again.payloadText()).isEqualTo(original.payloadText());
        assertThat(again.packetId()).isEqualTo(original.packetId());
        assertThat(again.dup()).isTrue();
        sub.puback(again.packetId());
      }
      assertThat(sub.drain(Duration.ofMillis(500))).isEmpty();
      sub.disconnect();
    }
    try (RawMqttClient sub = open(v5)) {
      assertThat(sub.connect(persistent(v5, id, false)).sessionPresent()).isTrue();
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty(); // acknowledged messages are gone
    }
  }

  @Test
  void resendAfterReconnectHonoursTheNewReceiveMaximum() throws Exception {
    List<Packet> first = new ArrayList<>();
    try (RawMqttClient sub = open(true)) {
      sub.connect(persistent("resend-window", true).receiveMaximum(3));
      sub.subscribe(1, "resendwindow/t", 1);
      sub.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher("resend-window-pub");
      for (int i = 0; i < 4; i++) {
        publish(pub, "resendwindow/t", "m" + i, MqttQos.AT_LEAST_ONCE);
      }
      pub.disconnect();
      for (int i = 0; i < 3; i++) {
        first.add(sub.expect(PUBLISH));
      }
    } // three unacknowledged, one queued behind them
    try (RawMqttClient sub = open(true)) {
      sub.connect(persistent("resend-window", false).receiveMaximum(1));
      // MQTT-3.3.4-9 holds for resent messages too: one at a time, each with its original id
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Packet p = sub.expect(PUBLISH);
        got.add(p.payloadText() + (p.dup() ? "+dup" : ""));
        if (i < 3) {
          assertThat(p.packetId()).isEqualTo(first.get(i).packetId());
        }
        assertThat(sub.drain(Duration.ofMillis(500)))
            .as("nothing beyond the window of 1")
            .isEmpty();
        sub.puback(p.packetId());
      }
      assertThat(got).containsExactly("m0+dup", "m1+dup", "m2+dup", "m3");
    }
  }

  @Test
  void publisherExceedingReceiveMaximumIsDisconnectedWith0x93() throws Exception {
    try (TestBroker limited = TestBroker.start(Map.of("limits.receive-maximum", "3"));
        RawMqttClient pub = RawMqttClient.open(limited.mqttPort(), 5)) {
      Packet connack = pub.connect(new Connect("recvmax-pub"));
      assertThat(connack.property(RawMqttClient.PROP_RECEIVE_MAXIMUM)).isEqualTo(3);
      // QoS 2 without PUBREL keeps each publish in flight
      for (int id = 1; id <= 3; id++) {
        pub.publish("recvmax/t", "m" + id, 2, false, id, null);
        assertThat(pub.expect(PUBREC).packetId()).isEqualTo(id);
      }
      // releasing one makes room for one more
      pub.pubrel(1);
      assertThat(pub.expect(PUBCOMP).packetId()).isEqualTo(1);
      pub.publish("recvmax/t", "m4", 2, false, 4, null);
      assertThat(pub.expect(PUBREC).packetId()).isEqualTo(4);
      // a fourth unacknowledged publish is one too many
      pub.publish("recvmax/t", "m5", 2, false, 5, null);
      Packet disconnect = pub.expect(DISCONNECT);
      assertThat(disconnect.reasonCode()).isEqualTo(0x93);
      assertThat(pub.expect(CLOSED).type()).isEqualTo(CLOSED);
    }
  }

  /**
   * MQTT 3.1.1 cannot tell a client the Receive Maximum, so a 3.1.1 publisher whose QoS 1 publishes
   * are acknowledged later than it sends them (each is stored in a persistent subscriber's queue
   * first) is slowed down, not closed: its socket is not read while the limit is reached.
   */
  @Test
  void aV3PublisherAheadOfItsAcknowledgementsIsSlowedDownNotClosed() throws Exception {
    int messages = 50;
    try (TestBroker limited = TestBroker.start(Map.of("limits.receive-maximum", "3"))) {
      try (RawMqttClient sub =
          RawMqttClient.connected(
              limited.mqttPort(),
              5,
              new Connect("held-sub").cleanStart(false).sessionExpiry(600))) {
        sub.subscribe(1, "held/t", 1);
        sub.expect(RawMqttClient.SUBACK);
        sub.disconnect();
      }
      try (RawMqttClient pub =
          RawMqttClient.connected(limited.mqttPort(), 4, new Connect("held-pub"))) {
        // one write: the broker reads them all at once, before any reaches the offline session
        java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
        for (int id = 1; id <= messages; id++) {
          burst.writeBytes(
              Packets.publish(4, "held/t", ("m" + id).getBytes(StandardCharsets.UTF_8), 1, id));
        }
        pub.send(burst.toByteArray());
        for (int id = 1; id <= messages; id++) {
          Packet ack = pub.expect(RawMqttClient.PUBACK);
          assertThat(ack.type())
              .as("PUBACK %d (3.1.1 has no reason code to close with)", id)
              .isEqualTo(RawMqttClient.PUBACK);
          assertThat(ack.packetId()).isEqualTo(id);
        }
      }
      try (RawMqttClient sub =
          RawMqttClient.connected(
              limited.mqttPort(),
              5,
              new Connect("held-sub").cleanStart(false).sessionExpiry(600))) {
        for (int id = 1; id <= messages; id++) {
          Packet p = sub.expect(PUBLISH);
          assertThat(new String(p.payload(), StandardCharsets.UTF_8)).isEqualTo("m" + id);
          sub.puback(p.packetId());
        }
      }
    }
  }

  @Test
  void maxQos1IsAdvertisedAndEnforcedForV5Clients() throws Exception {
    try (TestBroker limited = TestBroker.start(Map.of("limits.max-qos", "1"));
        RawMqttClient client = RawMqttClient.open(limited.mqttPort(), 5)) {
      Packet connack = client.connect(new Connect("maxqos-v5"));
      assertThat(connack.property(RawMqttClient.PROP_MAXIMUM_QOS)).isEqualTo(1);
      // a QoS 2 subscription is granted QoS 1
      client.subscribe(1, "maxqos/#", 2);
      assertThat(client.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
      client.publish("maxqos/t", "q1", 1, false, 1, null);
      assertThat(
              client
                  .skipUntil(p -> p.type() == RawMqttClient.PUBACK, Duration.ofSeconds(10))
                  .packetId())
          .isEqualTo(1);
      client.publish("maxqos/t", "q2", 2, false, 2, null);
      Packet disconnect =
          client.skipUntil(
              p -> p.type() == DISCONNECT || p.type() == CLOSED, Duration.ofSeconds(10));
      assertThat(disconnect.type()).isEqualTo(DISCONNECT);
      assertThat(disconnect.reasonCode()).isEqualTo(0x9B);
      assertThat(client.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
  }

  @Test
  void maxQos1ClosesV3ClientsThatPublishQos2() throws Exception {
    try (TestBroker limited = TestBroker.start(Map.of("limits.max-qos", "1"));
        RawMqttClient client = RawMqttClient.open(limited.mqttPort(), 4)) {
      assertThat(client.connect(new Connect("maxqos-v3")).reasonCode()).isZero();
      client.subscribe(1, "maxqos/#", 2);
      assertThat(client.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(1);
      client.publish("maxqos/t", "q1", 1, false, 1, null);
      // the PUBACK and the delivery back to this subscriber may come in either order
      Packet delivered = null;
      Packet puback = null;
      for (int i = 0; i < 2; i++) {
        Packet got = client.poll(Duration.ofSeconds(10));
        assertThat(got).isNotNull();
        if (got.type() == PUBLISH) {
          delivered = got;
        } else {
          puback = got;
        }
      }
      assertThat(delivered).isNotNull();
      assertThat(delivered.qos()).isEqualTo(1);
      assertThat(puback).isNotNull();
      assertThat(puback.type()).isEqualTo(RawMqttClient.PUBACK);
      assertThat(puback.packetId()).isEqualTo(1);
      client.puback(delivered.packetId());
      client.publish("maxqos/t", "q2", 2, false, 2, null);
      // MQTT 3.1.1 has no DISCONNECT from the server: the connection just ends, with nothing routed
      List<Packet> rest = new ArrayList<>();
      Packet p;
      while ((p = client.poll(Duration.ofSeconds(10))) != null && p.type() != CLOSED) {
        rest.add(p);
      }
      assertThat(p).isNotNull();
      assertThat(rest).isEmpty();
    }
  }
}
