package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and malformed input ends the offending connection, with the MQTT 5 reason where the
 * broker gets to send one, and never harms anyone else: while each test runs, a well-behaved
 * publisher sends a QoS 1 heartbeat to a well-behaved subscriber of '#', which must receive every
 * beat, in order, and nothing else.
 */
@WithBroker("limits.max-packet-size=65536")
class MalformedInputIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  static TestBroker broker;
  static Mqtt5BlockingClient subscriber;
  static Mqtt5BlockingClient publisher;
  static final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

  private ScheduledExecutorService beats;
  private final AtomicInteger sent = new AtomicInteger();

  @BeforeAll
  static void connectWellBehavedClients() {
    subscriber = broker.v5("well-behaved-subscriber");
    subscriber.connect();
    subscriber
        .toAsync()
        .subscribeWith()
        .topicFilter("#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(
            p ->
                received.add(
                    p.getTopic().toString()
                        + " "
                        + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)))
        .send()
        .join();
    publisher = broker.v5("well-behaved-publisher");
    publisher.connect();
  }

  @AfterAll
  static void stop() {
    subscriber.disconnect();
    publisher.disconnect();
  }

  @BeforeEach
  void startHeartbeat() {
    received.clear();
    beats = Executors.newSingleThreadScheduledExecutor();
    beats.scheduleWithFixedDelay(
        () -> {
          int n = sent.get();
          publisher
              .publishWith()
              .topic("beat")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(String.valueOf(n).getBytes(StandardCharsets.UTF_8))
              .send();
          sent.incrementAndGet();
        },
        0,
        20,
        TimeUnit.MILLISECONDS);
    awaitMoreBeats();
  }

  @AfterEach
  void everyBeatArrivedInOrderAndNothingElse() throws Exception {
    awaitMoreBeats();
    beats.shutdown();
    assertThat(beats.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    int total = sent.get();
    Await.until("all " + total + " beats received", WAIT, () -> received.size() >= total);
    Thread.sleep(200); // anything that should not be there has had time to arrive
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      expected.add("beat " + i);
    }
    assertThat(new ArrayList<>(received)).containsExactlyElementsOf(expected);
    assertThat(subscriber.getState().isConnected()).isTrue();
    assertThat(publisher.getState().isConnected()).isTrue();
    sent.set(0);
  }

  @Test
  void garbageInsteadOfConnectClosesTheConnection() {
    byte[][] garbage = {
      "GET /mqtt HTTP/1.1\r\nHost: broker\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
      {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x13, 0x37},
      {0x10, 0x04, 'J', 'U', 'N', 'K'}
    };
    for (byte[] bytes : garbage) {
      try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
        c.send(bytes);
        List<Packet> answer = c.readUntilClosed(WAIT);
        // nothing that could pass for a successful CONNACK
        assertThat(answer).allSatisfy(p -> assertThat(p.reasonCode()).isNotZero());
      }
      awaitMoreBeats();
    }
  }

  @Test
  void publishBeforeConnectClosesTheConnectionAndIsNotRouted() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(Packets.publish(5, "leak/before-connect", "x".getBytes(), 0, 0));
      assertThat(c.readUntilClosed(WAIT)).isEmpty();
    }
  }

  @Test
  void secondConnectClosesTheConnection() {
    for (int version : new int[] {4, 5}) {
      try (RawMqttClient c =
          RawMqttClient.connected(broker.mqttPort(), version, new Connect("twice-" + version))) {
        c.send(new Connect("twice-" + version).encode(version));
        // MQTT-3.1.0-2: a protocol violation. vertx-mqtt closes the socket itself, so no DISCONNECT
        // 0x82
        // is sent; if one ever is, it must carry that reason
        assertThat(c.readUntilClosed(WAIT))
            .allSatisfy(
                p -> {
                  assertThat(p.type()).isEqualTo(DISCONNECT);
                  assertThat(p.reasonCode()).isEqualTo(0x82);
                });
      }
    }
  }

  @Test
  void remainingLengthLongerThanFourBytesIsMalformed() {
    byte[] fiveByteLength = {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01};
    assertThat(hostile(5, fiveByteLength)).isEqualTo(List.of(0x81));
    assertThat(hostile(4, fiveByteLength)).isEmpty();
  }

  @Test
  void remainingLengthAboveTheMaximumPacketSizeIsRefusedBeforeTheBodyArrives() {
    // announces 268,435,455 bytes, sends three: the broker must not wait for (or buffer) the rest
    byte[] huge = {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F, 0x00, 0x01, 'a'};
    assertThat(hostile(5, huge)).isEqualTo(List.of(0x95));
    assertThat(hostile(4, huge)).isEmpty();
  }

  @Test
  void invalidUtf8InATopicIsMalformed() {
    byte[] topic = {
      'l', 'e', 'a', 'k', '/', (byte) 0xC3, 0x28
    }; // 0xC3 must be followed by a continuation byte
    assertThat(hostile(5, Packets.publish(5, topic, "x".getBytes(), 0, 0)))
        .isEqualTo(List.of(0x81));
    assertThat(hostile(5, Packets.publish(5, topic, "x".getBytes(), 1, 1)))
        .isEqualTo(List.of(0x81));
    assertThat(hostile(4, Packets.publish(4, topic, "x".getBytes(), 1, 1))).isEmpty();
    byte[] surrogate = {
      'l', 'e', 'a', 'k', '/', (byte) 0xED, (byte) 0xA0, (byte) 0x80
    }; // U+D800, MQTT-1.5.4-1
    assertThat(hostile(5, Packets.publish(5, surrogate, "x".getBytes(), 0, 0)))
        .isEqualTo(List.of(0x81));
  }

  @Test
  void nulCharacterInATopicIsMalformed() {
    assertThat(hostile(5, Packets.publish(5, "leak/a\u0000b", "x".getBytes(), 0, 0)))
        .isEqualTo(List.of(0x81));
    assertThat(hostile(4, Packets.publish(4, "leak/a\u0000b", "x".getBytes(), 0, 0))).isEmpty();
  }

  @Test
  void wildcardsInAPublishTopicEndTheConnection() {
    for (String topic : new String[] {"leak/+", "leak/#", "+", "leak/+/x"}) {
      // Netty's decoder refuses such a PUBLISH as malformed before the broker sees it
      // (MQTT-3.3.2-2)
      assertThat(hostile(5, Packets.publish(5, topic, "x".getBytes(), 1, 1)))
          .as(topic)
          .isEqualTo(List.of(0x81));
      assertThat(hostile(4, Packets.publish(4, topic, "x".getBytes(), 0, 0))).as(topic).isEmpty();
    }
  }

  @Test
  void reservedPacketTypeIsMalformed() {
    assertThat(hostile(5, new byte[] {0x00, 0x00})).isEqualTo(List.of(0x81));
    assertThat(hostile(4, new byte[] {0x00, 0x00})).isEmpty();
  }

  @Test
  void unknownPropertyIdentifierIsMalformed() {
    Props unknown = new Props().byteProp(0x7F, 1);
    assertThat(
            hostile(
                5,
                Packets.publish(
                    5,
                    "leak/prop".getBytes(StandardCharsets.UTF_8),
                    "x".getBytes(),
                    0,
                    0,
                    unknown)))
        .isEqualTo(List.of(0x81));
  }

  @Test
  void packetOnlyAServerSendsIsAProtocolError() {
    // MQTT 5 section 4.13: DISCONNECT 0x82, then close (MQTT 3.1.1: close)
    for (int version : new int[] {4, 5}) {
      byte[] connack =
          version == 5
              ? new byte[] {0x20, 0x03, 0x00, 0x00, 0x00}
              : new byte[] {0x20, 0x02, 0x00, 0x00};
      byte[] suback = {(byte) 0x90, 0x03, 0x00, 0x01, 0x00};
      byte[] pingresp = {(byte) 0xD0, 0x00};
      for (byte[] serverPacket : new byte[][] {connack, suback, pingresp}) {
        assertThat(hostile(version, serverPacket))
            .isEqualTo(version == 5 ? List.of(0x82) : List.of());
      }
      awaitMoreBeats();
    }
  }

  /**
   * Connects a fresh client of {@code version}, sends {@code bytes}, and returns the DISCONNECT
   * reason codes received before the broker closed the connection (MQTT 3.1.1 has none: an empty
   * list).
   */
  private List<Integer> hostile(int version, byte[] bytes) {
    List<Integer> codes = new ArrayList<>();
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), version, new Connect("hostile-v" + version))) {
      c.send(bytes);
      for (Packet p : c.readUntilClosed(WAIT)) {
        assertThat(p.type()).as("only a DISCONNECT may come back").isEqualTo(DISCONNECT);
        codes.add(p.reasonCode());
      }
    }
    awaitMoreBeats();
    return codes;
  }

  /** The heartbeat keeps flowing: a few more beats arrive from now on. */
  private void awaitMoreBeats() {
    int target = received.size() + 3;
    Await.until(
        "the heartbeat going on to " + target + " messages", WAIT, () -> received.size() >= target);
  }
}
