package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a stranger's bad input costs the node: packets before CONNECT, oversized CONNECTs, a second
 * CONNECT, invalid reason codes, lengths that run past their packet and the MQTT 5 rules Netty's
 * decoder cannot see. Each ends the connection at once (with DISCONNECT and the reason where MQTT 5
 * allows one), leaves no session behind, logs no ERROR and no stack trace, and logs at most a few
 * lines per source.
 */
@WithBroker({
  "mqtt.max-connect-size=4096",
  "mqtt.max-unauthenticated-per-address=0",
  "mqtt.connect-rate-per-address=0"
})
class ClientInputGuardIT {

  private static final Duration WAIT = Duration.ofSeconds(5);

  static TestBroker broker;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void captureLog() {
    logged.start();
    root().addAppender(logged);
  }

  @AfterEach
  void nothingLoggedAsAnError() {
    root().detachAppender(logged);
    assertThat(logged.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR));
    assertThat(logged.list).allMatch(e -> e.getThrowableProxy() == null);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private long linesFromClientInput() {
    return logged.list.stream()
        .filter(e -> e.getLoggerName().equals("io.mqttgrid.mqtt.ClientInput"))
        .count();
  }

  @Test
  void packetsBeforeConnectCloseTheConnectionWithoutAFloodOfLogLines() {
    byte[] pings = new byte[2 * 1000];
    for (int i = 0; i < 1000; i++) {
      pings[2 * i] = (byte) 0xC0;
    }
    for (int i = 0; i < 30; i++) {
      try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
        c.sendQuietly(pings);
        assertThat(c.readUntilClosed(WAIT)).isEmpty();
      }
    }
    // 30 connections of 1,000 packets each from one address: a handful of lines, none with a stack
    // trace
    assertThat(linesFromClientInput()).isBetween(1L, (long) ClientMistakeLog.PER_ADDRESS);
    assertThat(logged.list).hasSizeLessThanOrEqualTo(ClientMistakeLog.PER_ADDRESS + 5);
    roundTrip();
  }

  @Test
  void connectLargerThanTheCapClosesBeforeItIsRead() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      // the fixed header announces 512 KiB; only the header and a few bytes are sent
      c.send(new byte[] {0x10, (byte) 0x80, (byte) 0x80, 0x20, 0x00, 0x04, 'M', 'Q', 'T', 'T'});
      assertThat(c.readUntilClosed(WAIT)).isEmpty();
    }
    // a CONNECT just under the cap is read as usual
    String id = "x".repeat(100);
    try (RawMqttClient c = RawMqttClient.connected(broker.mqttPort(), 5, new Connect(id))) {
      assertThat(c.isOpenAfter(Duration.ofMillis(100))).isTrue();
    }
  }

  @Test
  void secondConnectWithABadProtocolLevelLeavesNoSessionOnline() throws Exception {
    for (int version : new int[] {4, 5}) {
      for (byte[] second :
          new byte[][] {
            new Connect("again").encode(7),
            new Connect("again").protocolName("MQTX").encode(version)
          }) {
        try (RawMqttClient c =
            RawMqttClient.connected(broker.mqttPort(), version, new Connect("ghost-" + version))) {
          c.send(second);
          assertThat(c.readUntilClosed(WAIT))
              .allSatisfy(
                  p -> {
                    assertThat(p.type()).isEqualTo(DISCONNECT);
                    assertThat(p.reasonCode()).isEqualTo(0x82);
                  });
        }
      }
    }
    awaitOnline(0); // every connection of this class is closed at the end of its test
  }

  @Test
  void invalidReasonCodesEndTheConnectionWithMalformedPacket() {
    byte[][] packets = {
      {0x40, 3, 0, 1, 0x7F}, // PUBACK with reason 0x7F
      {0x62, 3, 0, 1, 0x55}, // PUBREL with reason 0x55
      {(byte) 0xE0, 1, 0x33}, // DISCONNECT with reason 0x33
      {(byte) 0xF0, 1, 0x44}
    }; // AUTH with reason 0x44
    for (byte[] p : packets) {
      try (RawMqttClient c = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("reason"))) {
        byte[] many = new byte[p.length * 500];
        for (int i = 0; i < 500; i++) {
          System.arraycopy(p, 0, many, i * p.length, p.length);
        }
        c.sendQuietly(many);
        assertThat(c.readUntilClosed(WAIT))
            .singleElement()
            .satisfies(
                d -> {
                  assertThat(d.type()).isEqualTo(DISCONNECT);
                  assertThat(d.reasonCode()).isEqualTo(0x81);
                });
      }
    }
    assertThat(linesFromClientInput()).isLessThanOrEqualTo(packets.length);
  }

  @Test
  void lengthsRunningPastThePacketEndItAtOnce() {
    // a topic length of 60,000 in a 10-byte PUBLISH; the next packets must not be read as its topic
    byte[] topicPastEnd = {0x30, 10, (byte) 0xEA, 0x60, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    // a property section of 100,000 bytes announced in a small PUBLISH
    byte[] propertiesPastEnd = {0x30, 8, 0, 1, 't', (byte) 0xA0, (byte) 0x8D, 0x06, 'x', 'y'};
    for (byte[] p : new byte[][] {topicPastEnd, propertiesPastEnd}) {
      try (RawMqttClient c =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("past-end"))) {
        c.send(p);
        assertThat(c.readUntilClosed(WAIT))
            .singleElement()
            .satisfies(
                d -> {
                  assertThat(d.type()).isEqualTo(DISCONNECT);
                  assertThat(d.reasonCode()).isEqualTo(0x81);
                });
      }
    }
  }

  @Test
  void mqtt5RulesTheDecoderCannotSee() {
    expectDisconnect(
        Packets.publish(
            5, "t".getBytes(), "x".getBytes(), 0, 0, new Props().u32(0x02, 10).u32(0x02, 20)),
        0x82); // Message Expiry Interval twice
    expectDisconnect(publishWithSubscriptionIdentifier(), 0x82);
    expectDisconnect(
        Packets.publish(
            5, "t".getBytes(), "x".getBytes(), 0, 0, new Props().string(0x08, "replies/+")),
        0x82); // wildcard Response Topic
    expectDisconnect(Packets.packet(0x82, new byte[] {0, 1, 0}), 0x82); // SUBSCRIBE without filters
    expectDisconnect(
        Packets.packet(0xA2, new byte[] {0, 1, 0}), 0x82); // UNSUBSCRIBE without filters
    expectDisconnect(
        Packets.packet(0x82, new byte[] {0, 1, 0, 0, 1, 'a', (byte) 0xC1}), 0x81); // reserved
  }

  @Test
  void mqtt311SubscribeWithReservedOptionBitsAndPasswordWithoutUserNameAreRefused() {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 4, new Connect("reserved-311"))) {
      c.send(Packets.packet(0x82, new byte[] {0, 1, 0, 1, 'a', 0x05}));
      assertThat(c.readUntilClosed(WAIT)).isEmpty();
    }
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 4)) {
      c.send(connect311WithPasswordOnly());
      assertThat(c.readUntilClosed(WAIT)).isEmpty();
    }
  }

  @Test
  void authenticationDataWithoutMethodIsRefused() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(new Connect("auth-data").properties(new Props().string(0x16, "token")).encode(5));
      assertThat(c.readUntilClosed(WAIT)).allSatisfy(p -> assertThat(p.reasonCode()).isNotZero());
    }
  }

  @Test
  void everyConnectionTheGuardClosedIsReleased() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (RawMqttClient c =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("released-" + i))) {
        c.send(new byte[] {0x40, 3, 0, 1, 0x7F});
        c.readUntilClosed(WAIT);
      }
    }
    awaitOnline(0);
  }

  private static byte[] publishWithSubscriptionIdentifier() {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    v.writeBytes(new byte[] {0, 1, 't', 2, 0x0B, 5});
    v.writeBytes("x".getBytes(StandardCharsets.UTF_8));
    return Packets.packet(0x30, v.toByteArray());
  }

  private static byte[] connect311WithPasswordOnly() {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    v.writeBytes(
        new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 60, 0, 2, 'i', 'd', 0, 2, 'p', 'w'});
    return Packets.packet(0x10, v.toByteArray());
  }

  private static void expectDisconnect(byte[] packet, int reason) {
    try (RawMqttClient c = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("rules"))) {
      c.send(packet);
      List<Packet> got = new ArrayList<>(c.readUntilClosed(WAIT));
      assertThat(got)
          .as("answer to %s", hex(packet))
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.type()).isEqualTo(DISCONNECT);
                assertThat(d.reasonCode()).isEqualTo(reason);
              });
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append(String.format("%02x", x & 0xFF));
    }
    return b.toString();
  }

  private static void awaitOnline(long expected) throws InterruptedException {
    Await.until(
        expected + " sessions online",
        WAIT,
        () -> broker.broker().sessions().onlineCount() == expected);
    assertThat(broker.broker().sessions().onlineCount()).isEqualTo(expected);
  }

  private static void roundTrip() {
    try (RawMqttClient sub =
            RawMqttClient.connected(broker.mqttPort(), 5, new Connect("round-trip-sub"));
        RawMqttClient pub =
            RawMqttClient.connected(broker.mqttPort(), 5, new Connect("round-trip-pub"))) {
      sub.send(Packets.subscribe(5, 1, "round/trip", 0));
      assertThat(sub.read(WAIT).type()).isEqualTo(RawMqttClient.SUBACK);
      pub.send(Packets.publish(5, "round/trip", "hello".getBytes(StandardCharsets.UTF_8), 0, 0));
      Packet p = sub.read(WAIT);
      assertThat(p.type()).isEqualTo(RawMqttClient.PUBLISH);
      assertThat(new String(p.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
    }
  }
}
