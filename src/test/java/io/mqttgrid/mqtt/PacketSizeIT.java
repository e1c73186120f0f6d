package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static io.mqttgrid.testing.RawMqttClient.SUBACK;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Maximum Packet Size in both directions: the broker's own limit (limits.max-packet-size, 1024
 * here) is advertised and enforced on what clients send; a client's limit (its CONNECT property) on
 * what it is sent.
 */
@WithBroker("limits.max-packet-size=" + PacketSizeIT.LIMIT)
class PacketSizeIT {

  static final int LIMIT = 1024;
  private static int nextPacketId = 1;

  static TestBroker broker;

  @Test
  void connackAdvertisesTheBrokersMaximumPacketSize() {
    Mqtt5BlockingClient c = broker.v5("advertised");
    assertThat(c.connect().getRestrictions().getMaximumPacketSize()).isEqualTo(LIMIT);
    c.disconnect();
  }

  @Test
  void v5PublishOneByteOverTheLimitIsAnsweredWithPacketTooLarge() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("size-watcher-5");
    sub.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("size/v5/#").qos(MqttQos.AT_LEAST_ONCE).send();
      try (RawMqttClient pub =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("size-pub-5"))) {
        for (int qos = 0; qos <= 1; qos++) {
          byte[] fits = publishOfSize(5, "size/v5/q" + qos, qos, LIMIT);
          pub.send(fits);
          if (qos == 1) {
            Packet ack = pub.read(Duration.ofSeconds(10));
            assertThat(ack.type()).isEqualTo(RawMqttClient.PUBACK);
          }
          Optional<Mqtt5Publish> m = received.receive(10, TimeUnit.SECONDS);
          assertThat(m).as("publish of exactly the limit at QoS " + qos).isPresent();
          assertThat(m.get().getTopic().toString()).isEqualTo("size/v5/q" + qos);
        }
        pub.send(publishOfSize(5, "size/v5/too-large", 1, LIMIT + 1));
        List<Packet> answer = pub.readUntilClosed(Duration.ofSeconds(10));
        assertThat(answer).extracting(Packet::type).containsExactly(DISCONNECT);
        assertThat(answer.get(0).reasonCode()).isEqualTo(0x95); // Packet too large
      }
      assertThat(received.receive(1, TimeUnit.SECONDS))
          .as("the oversized message is not routed")
          .isEmpty();
    }
    sub.disconnect();
  }

  @Test
  void v3PublishOverTheLimitClosesTheConnection() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("size-watcher-3");
    sub.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("size/v3/#").send();
      try (RawMqttClient pub =
          RawMqttClient.connected(broker.mqttPort(), 4, new Connect("size-pub-3"))) {
        pub.send(publishOfSize(4, "size/v3/fits", 0, LIMIT));
        assertThat(received.receive(10, TimeUnit.SECONDS)).isPresent();
        pub.send(publishOfSize(4, "size/v3/too-large", 0, LIMIT + 1));
        assertThat(pub.readUntilClosed(Duration.ofSeconds(10)))
            .isEmpty(); // MQTT 3.1.1 has no DISCONNECT to send
      }
      assertThat(received.receive(1, TimeUnit.SECONDS)).isEmpty();
    }
    sub.disconnect();
  }

  @Test
  void oversizedPacketOfAnotherTypeIsAlsoRefused() {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("big-subscribe"))) {
      // one SUBSCRIBE whose filter alone is larger than the limit
      c.send(Packets.subscribe(5, 1, "f/" + "x".repeat(LIMIT), 0));
      List<Packet> answer = c.readUntilClosed(Duration.ofSeconds(10));
      assertThat(answer).extracting(Packet::type).containsExactly(DISCONNECT);
      assertThat(answer.get(0).reasonCode()).isEqualTo(0x95);
    }
  }

  @Test
  void messagesLargerThanTheClientsMaximumPacketSizeAreNotSentToIt() throws Exception {
    int clientMax = 256;
    Mqtt5BlockingClient unrestricted = broker.v5("unrestricted");
    unrestricted.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes all =
            unrestricted.publishes(MqttGlobalPublishFilter.ALL);
        RawMqttClient small = RawMqttClient.open(broker.mqttPort(), 5)) {
      unrestricted.subscribeWith().topicFilter("client-max/#").qos(MqttQos.AT_LEAST_ONCE).send();
      small.send(new Connect("small-max").properties(new Props().u32(0x27, clientMax)).encode(5));
      assertThat(small.read(Duration.ofSeconds(10)).reasonCode()).isZero();
      small.send(Packets.subscribe(5, 1, "client-max/#", 1));
      Packet suback = small.read(Duration.ofSeconds(10));
      assertThat(suback.type()).isEqualTo(SUBACK);
      assertThat(suback.reasonCode()).isEqualTo(1);
      small.send(Packets.subscribe(5, 2, "client-max-q0/#", 0));
      assertThat(small.read(Duration.ofSeconds(10)).type()).isEqualTo(SUBACK);

      try (RawMqttClient pub =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("client-max-pub"))) {
        // without subscription identifiers or properties, a subscriber at the same QoS receives a
        // packet
        // of exactly the size the publisher sent
        for (int qos = 0; qos <= 1; qos++) {
          pub.send(publishOfSize(5, "client-max/q" + qos + "/over", qos, clientMax + 1));
          pub.send(publishOfSize(5, "client-max/q" + qos + "/exact", qos, clientMax));
          pub.send(publishOfSize(5, "client-max/q" + qos + "/large", qos, 900));
          pub.send(publishOfSize(5, "client-max/q" + qos + "/small", qos, 40));
        }
        // sent at QoS 1, delivered at QoS 0 without the two bytes of packet identifier: exactly the
        // limit
        pub.send(publishOfSize(5, "client-max-q0/downgraded", 1, clientMax + 2));
        List<String> toUnrestricted = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          Optional<Mqtt5Publish> m = all.receive(10, TimeUnit.SECONDS);
          assertThat(m).as("message %d to the unrestricted subscriber", i).isPresent();
          toUnrestricted.add(m.get().getTopic().toString());
        }
        assertThat(toUnrestricted).hasSize(8);

        List<String> toSmall = new ArrayList<>();
        while (toSmall.size() < 5) {
          Packet p = small.read(Duration.ofSeconds(10));
          assertThat(p.isClosed()).as("connection still open").isFalse();
          assertThat(p.type()).isEqualTo(PUBLISH);
          assertThat(p.size()).isLessThanOrEqualTo(clientMax);
          if (p.qos() == 1) {
            small.send(Packets.puback(p.packetId()));
          }
          toSmall.add(p.topic());
        }
        assertThat(toSmall)
            .containsExactly(
                "client-max/q0/exact",
                "client-max/q0/small",
                "client-max/q1/exact",
                "client-max/q1/small",
                "client-max-q0/downgraded");
        assertThat(small.isOpenAfter(Duration.ofSeconds(1)))
            .as("nothing more, and still connected")
            .isTrue();
      }
    }
    unrestricted.disconnect();
  }

  /** A PUBLISH (no properties) padded so that the whole packet is exactly {@code size} bytes. */
  private static byte[] publishOfSize(int version, String topic, int qos, int size) {
    int packetId = qos > 0 ? nextPacketId++ : 0;
    for (int payload = Math.max(0, size - 200); payload <= size; payload++) {
      byte[] p = Packets.publish(version, topic, new byte[payload], qos, packetId);
      if (p.length == size) {
        return p;
      }
    }
    throw new IllegalArgumentException("no PUBLISH of exactly " + size + " bytes on " + topic);
  }
}
