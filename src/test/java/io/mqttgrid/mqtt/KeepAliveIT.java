package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.CONNACK;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PINGRESP;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive: a silent client is dropped after 1.5 x its keep-alive and its will is sent; a v5
 * client asking for no keep-alive, or for more than limits.max-keep-alive, is told the cap and held
 * to it.
 */
@WithBroker("limits.max-keep-alive=2")
class KeepAliveIT {

  static TestBroker broker;
  static Mqtt5BlockingClient watcher;
  static Mqtt5BlockingClient.Mqtt5Publishes wills;

  @BeforeAll
  static void watchWills() {
    watcher = broker.v5("will-watcher");
    watcher.connectWith().keepAlive(0).send();
    wills = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("keepalive/will/#").qos(MqttQos.AT_LEAST_ONCE).send();
  }

  @AfterAll
  static void stop() {
    wills.close();
  }

  @Test
  void silentClientIsDisconnectedAfterOneAndAHalfKeepAlivesAndItsWillIsPublished() {
    for (int version : new int[] {4, 5}) {
      String topic = "keepalive/will/silent-v" + version;
      try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), version)) {
        c.send(
            new Connect("silent-v" + version)
                .keepAlive(1)
                .will(topic, "gone".getBytes(StandardCharsets.UTF_8), 1, false, null)
                .encode(version));
        Packet ack = c.read(Duration.ofSeconds(10));
        assertThat(ack.type()).isEqualTo(CONNACK);
        assertThat(ack.reasonCode()).isZero();
        long connected = System.nanoTime();

        List<Packet> received = c.readUntilClosed(Duration.ofSeconds(8));
        long silentMillis = (System.nanoTime() - connected) / 1_000_000;
        // MQTT-3.1.2-24: not before one and a half keep-alive periods
        assertThat(silentMillis).isGreaterThanOrEqualTo(1400);
        // closed as if the network had failed, no DISCONNECT (the client's own keep-alive)
        assertThat(received).isEmpty();
        assertWill(topic, "gone");
      }
    }
  }

  @Test
  void clientThatPingsWithinItsKeepAliveStaysConnected() {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("pinger").keepAlive(1))) {
      long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < end) {
        c.send(Packets.pingreq());
        Packet pong = c.read(Duration.ofSeconds(5));
        assertThat(pong.isClosed()).as("connection still open").isFalse();
        assertThat(pong.type()).isEqualTo(PINGRESP);
        sleep(500);
      }
      c.send(Packets.disconnect());
    }
  }

  @Test
  void v5ClientWithoutKeepAliveGetsServerKeepAliveAndIsDisconnectedWhenSilent() {
    String topic = "keepalive/will/no-keep-alive";
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(
          new Connect("no-keep-alive")
              .keepAlive(0)
              .will(topic, "timed out".getBytes(StandardCharsets.UTF_8), 1, false, null)
              .encode(5));
      Packet ack = c.read(Duration.ofSeconds(10));
      assertThat(ack.type()).isEqualTo(CONNACK);
      assertThat(ack.reasonCode()).isZero();
      assertThat(ack.properties()).containsEntry(RawMqttClient.PROP_SERVER_KEEP_ALIVE, 2);
      long connected = System.nanoTime();

      List<Packet> received = c.readUntilClosed(Duration.ofSeconds(12));
      long silentMillis = (System.nanoTime() - connected) / 1_000_000;
      assertThat(received).hasSize(1);
      assertThat(received.get(0).type()).isEqualTo(DISCONNECT);
      assertThat(received.get(0).reasonCode()).isEqualTo(0x8D); // Keep Alive timeout
      assertThat(silentMillis).isGreaterThanOrEqualTo(2900); // 1.5 x Server Keep Alive
      assertWill(topic, "timed out");
    }
  }

  @Test
  void v5ClientAskingForMoreThanTheCapIsHeldToServerKeepAlive() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(new Connect("long-keep-alive").keepAlive(10).encode(5));
      Packet ack = c.read(Duration.ofSeconds(10));
      assertThat(ack.reasonCode()).isZero();
      assertThat(ack.properties()).containsEntry(RawMqttClient.PROP_SERVER_KEEP_ALIVE, 2);

      // pinging within the server's keep-alive keeps the connection, well past 1.5 x 2 s
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      long lastPing;
      do {
        lastPing = System.nanoTime();
        c.send(Packets.pingreq());
        Packet pong = c.read(Duration.ofSeconds(5));
        assertThat(pong.isClosed()).as("connection still open").isFalse();
        assertThat(pong.type()).isEqualTo(PINGRESP);
        sleep(1000);
      } while (System.nanoTime() < end);
      // then silence: dropped long before the 15 s its own keep-alive would allow
      List<Packet> received = c.readUntilClosed(Duration.ofSeconds(10));
      assertThat(received).extracting(Packet::type).containsExactly(DISCONNECT);
      assertThat(received.get(0).reasonCode()).isEqualTo(0x8D);
      assertThat((System.nanoTime() - lastPing) / 1_000_000).isGreaterThanOrEqualTo(2900);
    }
  }

  private static void assertWill(String topic, String payload) {
    try {
      Optional<Mqtt5Publish> will = wills.receive(10, TimeUnit.SECONDS);
      assertThat(will).as("will on " + topic).isPresent();
      assertThat(will.get().getTopic().toString()).isEqualTo(topic);
      assertThat(new String(will.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo(payload);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
