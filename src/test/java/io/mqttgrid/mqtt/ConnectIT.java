package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.CONNACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckRestrictions;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * CONNECT handling: refusals with their v3 return codes and v5 reason codes, and what CONNACK
 * advertises.
 */
@WithBroker
class ConnectIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  static TestBroker broker;

  // ---------------------------------------------------------------- refusals

  @Test
  void malformedConnectIsRefusedWithoutASuccessfulConnack() {
    for (int version : new int[] {4, 5}) {
      try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), version)) {
        // MQTT-3.1.2-3: the reserved connect flag must be 0, otherwise the packet is malformed
        c.send(new Connect("malformed-" + version).reservedFlag().encode(version));
        List<Packet> received = c.readUntilClosed(WAIT);
        // MQTT 3.1.1 closes without CONNACK; MQTT 5 may first send a CONNACK with a code >= 0x80
        assertThat(received)
            .allSatisfy(
                p -> {
                  assertThat(version).isEqualTo(5);
                  assertThat(p.type()).isEqualTo(CONNACK);
                  assertThat(p.reasonCode()).isGreaterThanOrEqualTo(0x80);
                });
      }
    }
  }

  @Test
  void willTopicWithANulCharacterIsMalformed() {
    // MQTT-1.5.4-2: U+0000 in a UTF-8 string makes the packet malformed
    assertThat(
            rawConnect(
                new Connect("nul-will").will("will/a\u0000b", new byte[] {1}, 0, false, null)))
        .isEqualTo(0x81);
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 4)) {
      c.send(
          new Connect("nul-will-3")
              .will("will/a\u0000b", new byte[] {1}, 0, false, null)
              .encode(4));
      assertThat(c.readUntilClosed(WAIT)).as("MQTT 3.1.1: closed without CONNACK").isEmpty();
    }
  }

  @Test
  void v5ConnectWithReceiveMaximumZeroIsAProtocolError() {
    assertThat(rawConnect(new Connect("recv-max-0").properties(new Props().u16(0x21, 0))))
        .isEqualTo(0x82);
  }

  @Test
  void v5ConnectWithMaximumPacketSizeZeroIsAProtocolError() {
    assertThat(rawConnect(new Connect("max-packet-0").properties(new Props().u32(0x27, 0))))
        .isEqualTo(0x82);
  }

  @Test
  void unsupportedProtocolLevelIsRefusedWithUnacceptableProtocolVersion() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 4)) {
      c.send(new Connect("level-6").encode(6));
      List<Packet> received = c.readUntilClosed(WAIT);
      // the broker cannot know the format of a version it does not speak: MQTT 3.1.1's CONNACK,
      // code 1
      assertThat(received).hasSize(1);
      assertThat(received.get(0).type()).isEqualTo(CONNACK);
      assertThat(received.get(0).reasonCode()).isEqualTo(0x01);
    }
  }

  @Test
  void clientIdLongerThanTheLimitIsRefused() {
    String tooLong = "c".repeat(129); // limits.max-client-id-length defaults to 128
    Mqtt5BlockingClient v5 = broker.v5(tooLong);
    assertThatThrownBy(v5::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.CLIENT_IDENTIFIER_NOT_VALID));
    Mqtt3BlockingClient v3 = broker.v3(tooLong);
    assertThatThrownBy(v3::connect)
        .isInstanceOfSatisfying(
            Mqtt3ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReturnCode())
                    .isEqualTo(Mqtt3ConnAckReturnCode.IDENTIFIER_REJECTED));

    String longest = "c".repeat(128);
    Mqtt5BlockingClient ok = broker.v5(longest);
    assertThat(ok.connect().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
    ok.disconnect();
  }

  @Test
  void anonymousClientsAreRefusedWhenAnonymousAccessIsOff() {
    try (TestBroker closed = TestBroker.start(Map.of("auth.anonymous", "false"))) {
      Mqtt5BlockingClient v5 = closed.v5("anon-v5");
      assertThatThrownBy(v5::connect)
          .isInstanceOfSatisfying(
              Mqtt5ConnAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReasonCode())
                      .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
      Mqtt3BlockingClient v3 = closed.v3("anon-v3");
      assertThatThrownBy(v3::connect)
          .isInstanceOfSatisfying(
              Mqtt3ConnAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReturnCode())
                      .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));
    }
  }

  @Test
  void anonymousClientsFromANonLoopbackAddressAreRefusedByDefault() throws Exception {
    InetAddress own = nonLoopbackAddress();
    Assumptions.assumeTrue(
        own != null,
        "this machine has no non-loopback IPv4 address to connect from; loopback-only refusal not tested");
    try (TestBroker open = TestBroker.start(Map.of("mqtt.host", "0.0.0.0"))) {
      try (RawMqttClient remote = RawMqttClient.open(own.getHostAddress(), open.mqttPort(), 5)) {
        remote.send(new Connect("from-" + own.getHostAddress()).encode(5));
        List<Packet> received = remote.readUntilClosed(WAIT);
        assertThat(received).hasSize(1);
        assertThat(received.get(0).type()).isEqualTo(CONNACK);
        assertThat(received.get(0).reasonCode()).isEqualTo(0x87);
      }
      try (RawMqttClient remote = RawMqttClient.open(own.getHostAddress(), open.mqttPort(), 4)) {
        remote.send(new Connect("from-" + own.getHostAddress()).encode(4));
        List<Packet> received = remote.readUntilClosed(WAIT);
        assertThat(received).hasSize(1);
        assertThat(received.get(0).reasonCode()).isEqualTo(5);
      }
      // the same broker lets loopback clients in
      try (RawMqttClient local =
          RawMqttClient.connected(open.mqttPort(), 5, new Connect("from-loopback"))) {
        local.send(Packets.disconnect());
      }
    }
  }

  @Test
  void authenticationMethodThatIsNotConfiguredIsRefused() {
    assertThat(
            rawConnect(new Connect("scram").properties(new Props().string(0x15, "SCRAM-SHA-256"))))
        .isEqualTo(0x8C);
  }

  // ---------------------------------------------------------------- empty client identifier

  @Test
  void v5ClientWithEmptyIdGetsAnAssignedClientIdentifier() {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .buildBlocking();
    Mqtt5ConnAck ack = c.connect();
    assertThat(ack.getAssignedClientIdentifier()).isPresent();
    assertThat(ack.getAssignedClientIdentifier().get().toString()).isNotEmpty();
    c.disconnect();

    Mqtt5BlockingClient other =
        MqttClient.builder()
            .useMqttVersion5()
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .buildBlocking();
    Mqtt5ConnAck second = other.connect();
    assertThat(second.getAssignedClientIdentifier().get().toString())
        .isNotEqualTo(ack.getAssignedClientIdentifier().get().toString());
    other.disconnect();
  }

  @Test
  void v5ClientWithItsOwnIdGetsNoAssignedClientIdentifier() {
    Mqtt5BlockingClient c = broker.v5("own-id");
    assertThat(c.connect().getAssignedClientIdentifier()).isEmpty();
    c.disconnect();
  }

  @Test
  void v3ClientWithEmptyIdAndCleanSessionIsAccepted() {
    Mqtt3BlockingClient c =
        MqttClient.builder()
            .useMqttVersion3()
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .buildBlocking();
    Mqtt3ConnAck ack = c.connectWith().cleanSession(true).send();
    assertThat(ack.getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.SUCCESS);
    // the connection works: a subscription is acknowledged
    assertThat(c.subscribeWith().topicFilter("empty-id/#").send().getReturnCodes()).hasSize(1);
    c.disconnect();
  }

  @Test
  void v3ClientWithEmptyIdAndPersistentSessionIsRefusedWithIdentifierRejected() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 4)) {
      c.send(new Connect("").cleanStart(false).encode(4)); // MQTT-3.1.3-8
      List<Packet> received = c.readUntilClosed(WAIT);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).type()).isEqualTo(CONNACK);
      assertThat(received.get(0).reasonCode()).isEqualTo(2);
    }
  }

  // ---------------------------------------------------------------- CONNACK properties

  @Test
  void connackAdvertisesTheDefaultLimits() {
    Mqtt5BlockingClient c = broker.v5("defaults");
    Mqtt5ConnAck ack = c.connectWith().keepAlive(60).send();
    Mqtt5ConnAckRestrictions r = ack.getRestrictions();
    assertThat(r.getMaximumQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    assertThat(r.isRetainAvailable()).isTrue();
    assertThat(r.getMaximumPacketSize()).isEqualTo(524_288);
    assertThat(r.getTopicAliasMaximum()).isEqualTo(10);
    assertThat(r.getReceiveMaximum()).isEqualTo(1000);
    assertThat(r.isWildcardSubscriptionAvailable()).isTrue();
    assertThat(r.isSharedSubscriptionAvailable()).isTrue();
    assertThat(r.areSubscriptionIdentifiersAvailable()).isTrue();
    assertThat(ack.getServerKeepAlive()).isEmpty();
    assertThat(ack.getSessionExpiryInterval()).isEmpty();
    assertThat(ack.getAssignedClientIdentifier()).isEmpty();
    c.disconnect();
  }

  @Test
  void connackOmitsMaximumQosWhenQos2IsAvailableAndStatesTheFeatureFlagsExplicitly() {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(new Connect("raw-defaults").keepAlive(60).encode(5));
      Packet ack = c.read(WAIT);
      assertThat(ack.type()).isEqualTo(CONNACK);
      assertThat(ack.reasonCode()).isZero();
      Map<Integer, Object> props = ack.properties();
      assertThat(props)
          .doesNotContainKey(RawMqttClient.PROP_MAXIMUM_QOS)
          .doesNotContainKey(RawMqttClient.PROP_SERVER_KEEP_ALIVE)
          .doesNotContainKey(RawMqttClient.PROP_SESSION_EXPIRY)
          .doesNotContainKey(RawMqttClient.PROP_ASSIGNED_CLIENT_ID)
          .containsEntry(RawMqttClient.PROP_RETAIN_AVAILABLE, 1)
          .containsEntry(RawMqttClient.PROP_MAXIMUM_PACKET_SIZE, 524_288L)
          .containsEntry(RawMqttClient.PROP_TOPIC_ALIAS_MAXIMUM, 10)
          .containsEntry(RawMqttClient.PROP_RECEIVE_MAXIMUM, 1000)
          .containsEntry(RawMqttClient.PROP_WILDCARD_AVAILABLE, 1)
          .containsEntry(RawMqttClient.PROP_SHARED_AVAILABLE, 1)
          .containsEntry(RawMqttClient.PROP_SUBSCRIPTION_IDS_AVAILABLE, 1);
      c.send(Packets.disconnect());
    }
  }

  @Test
  void connackAdvertisesConfiguredLimits() {
    try (TestBroker limited =
        TestBroker.start(
            Map.of(
                "limits.max-qos", "1",
                "limits.retain-available", "false",
                "limits.max-packet-size", "2048",
                "limits.topic-alias-maximum", "3",
                "limits.receive-maximum", "20",
                "limits.max-keep-alive", "30",
                "limits.max-session-expiry", "60"))) {
      Mqtt5BlockingClient c = limited.v5("limited");
      Mqtt5ConnAck ack = c.connectWith().keepAlive(20).sessionExpiryInterval(30).send();
      Mqtt5ConnAckRestrictions r = ack.getRestrictions();
      assertThat(r.getMaximumQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
      assertThat(r.isRetainAvailable()).isFalse();
      assertThat(r.getMaximumPacketSize()).isEqualTo(2048);
      assertThat(r.getTopicAliasMaximum()).isEqualTo(3);
      assertThat(r.getReceiveMaximum()).isEqualTo(20);
      // within the caps: nothing to correct
      assertThat(ack.getServerKeepAlive()).isEmpty();
      assertThat(ack.getSessionExpiryInterval()).isEmpty();
      c.disconnect();

      Mqtt5BlockingClient capped = limited.v5("capped");
      Mqtt5ConnAck cappedAck = capped.connectWith().keepAlive(31).sessionExpiryInterval(61).send();
      assertThat(cappedAck.getServerKeepAlive()).hasValue(30);
      assertThat(cappedAck.getSessionExpiryInterval()).hasValue(60);
      capped.disconnect();
    }
  }

  @Test
  void serverKeepAliveIsSentWhenTheClientAsksForNoneOrMoreThanTheCap() {
    Mqtt5BlockingClient none = broker.v5("keep-alive-0");
    assertThat(none.connectWith().keepAlive(0).send().getServerKeepAlive()).hasValue(1160);
    none.disconnect();
    Mqtt5BlockingClient tooLong = broker.v5("keep-alive-2000");
    assertThat(tooLong.connectWith().keepAlive(2000).send().getServerKeepAlive()).hasValue(1160);
    tooLong.disconnect();
    Mqtt5BlockingClient atCap = broker.v5("keep-alive-1160");
    assertThat(atCap.connectWith().keepAlive(1160).send().getServerKeepAlive()).isEmpty();
    atCap.disconnect();
  }

  @Test
  void sessionExpiryAboveTheCapIsReducedAndAnnounced() {
    Mqtt5BlockingClient c = broker.v5("long-session");
    Mqtt5ConnAck ack = c.connectWith().cleanStart(true).sessionExpiryInterval(7200).send();
    assertThat(ack.getSessionExpiryInterval()).hasValue(3600);
    c.disconnect();
    Mqtt5BlockingClient shorter = broker.v5("short-session");
    assertThat(shorter.connectWith().sessionExpiryInterval(3600).send().getSessionExpiryInterval())
        .isEmpty();
    shorter.disconnect();
  }

  @Test
  void maximumQosIsAdvertisedAndRetainAvailableStatedWhenLimited() {
    try (TestBroker qos0 = TestBroker.start(Map.of("limits.max-qos", "0"))) {
      try (RawMqttClient c = RawMqttClient.open(qos0.mqttPort(), 5)) {
        c.send(new Connect("qos0").encode(5));
        Packet ack = c.read(WAIT);
        assertThat(ack.reasonCode()).isZero();
        assertThat(ack.properties()).containsEntry(RawMqttClient.PROP_MAXIMUM_QOS, 0);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Sends {@code connect} on a fresh socket and returns the CONNACK code; the broker must then
   * close.
   */
  private static int rawConnect(Connect connect) {
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(connect.encode(5));
      List<Packet> received = c.readUntilClosed(WAIT);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).type()).isEqualTo(CONNACK);
      return received.get(0).reasonCode();
    }
  }

  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface ni :
        java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : java.util.Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    return null;
  }
}
