package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Wills (MQTT 5 section 3.1.2.5, 3.1.3.2): sent when a connection ends without a normal DISCONNECT,
 * after the Will Delay Interval, with their properties; not sent on a normal DISCONNECT or when the
 * session resumes within the delay. The client whose connection ends is a raw socket, so that it
 * can just vanish.
 */
@WithBroker
class WillIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int SESSION_EXPIRY = 0x11;
  private static final int WILL_DELAY = 0x18;
  private static final int MESSAGE_EXPIRY = 0x02;
  private static final int TOPIC_ALIAS = 0x23;

  static TestBroker broker;
  Mqtt5BlockingClient watcher;
  Inbox<Mqtt5Publish> inbox;

  @BeforeEach
  void watchWills() {
    watcher = broker.v5("will-watcher");
    inbox = Inbox.connectAndSubscribe(watcher, "will/#", MqttQos.AT_LEAST_ONCE);
  }

  @AfterEach
  void stopWatching() {
    watcher.disconnect();
  }

  /**
   * Waits until the broker has ended every connection but the watcher's, then sends a live message
   * on a will topic: whatever a will sent at the end of those connections reached the watcher
   * before it.
   */
  private List<Mqtt5Publish> receivedUntilFence() throws Exception {
    Await.until(
        "the other connections ended", WAIT, () -> broker.broker().sessions().onlineCount() <= 1);
    Mqtt5BlockingClient pub = broker.v5("will-fence");
    pub.connect();
    pub.publishWith().topic("will/fence").qos(MqttQos.AT_LEAST_ONCE).send();
    pub.disconnect();
    return inbox.until("will/fence");
  }

  @Test
  void willIsSentWhenTheConnectionIsLostWithoutDisconnect() throws Exception {
    RawMqttClient v5 =
        RawMqttClient.connected(
            broker.mqttPort(), 5, new Connect("lost5").will("will/lost5", "gone5", 1, false, null));
    RawMqttClient v3 =
        RawMqttClient.connected(
            broker.mqttPort(), 4, new Connect("lost3").will("will/lost3", "gone3", 1, false, null));
    v5.close();
    Mqtt5Publish w = inbox.next();
    assertThat(w.getTopic().toString()).isEqualTo("will/lost5");
    assertThat(Inbox.text(w)).isEqualTo("gone5");
    assertThat(w.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(w.isRetain()).isFalse();
    v3.close();
    w = inbox.next();
    assertThat(w.getTopic().toString()).isEqualTo("will/lost3");
    assertThat(Inbox.text(w)).isEqualTo("gone3");
    assertThat(receivedUntilFence()).isEmpty(); // each will once
  }

  @Test
  void willReachesAnMqtt3Subscriber() throws Exception {
    Mqtt3BlockingClient sub3 = broker.v3("will-sub3");
    Inbox<Mqtt3Publish> inbox3 = Inbox.connectAndSubscribe(sub3, "will/to3", MqttQos.AT_LEAST_ONCE);
    RawMqttClient c =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("lost-to3").will("will/to3", "for v3", 1, false, null));
    c.close();
    assertThat(Inbox.text(inbox3.next())).isEqualTo("for v3");
    sub3.disconnect();
  }

  @Test
  void willIsSentWhenTheBrokerEndsTheConnectionForAProtocolError() throws Exception {
    try (RawMqttClient v5 =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("proto5").will("will/proto5", "error5", 0, false, null))) {
      // Topic Alias 0 is not allowed (MQTT-3.3.2-8)
      v5.publish("t", "x", 0, false, 0, new Props().u16(TOPIC_ALIAS, 0));
      Packet disconnect = v5.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(0x94);
    }
    assertThat(Inbox.text(inbox.next())).isEqualTo("error5");
    try (RawMqttClient v3 =
        RawMqttClient.connected(
            broker.mqttPort(),
            4,
            new Connect("proto3").will("will/proto3", "error3", 0, false, null))) {
      // a shared subscription from an MQTT 3.1.1 client ends its connection (spec section 1.9)
      v3.subscribe(1, null, RawMqttClient.Filter.of("$share/g/x", 0));
      assertThat(v3.awaitClose(WAIT)).isNull();
    }
    assertThat(Inbox.text(inbox.next())).isEqualTo("error3");
  }

  @Test
  void willIsNotSentAfterANormalDisconnect() throws Exception {
    try (RawMqttClient v5 =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("normal5").will("will/normal5", "must not", 1, false, null))) {
      v5.disconnect(0x00);
      assertThat(v5.awaitClose(WAIT)).isNull();
    }
    try (RawMqttClient v3 =
        RawMqttClient.connected(
            broker.mqttPort(),
            4,
            new Connect("normal3").will("will/normal3", "must not", 1, false, null))) {
      v3.disconnect(0);
      assertThat(v3.awaitClose(WAIT)).isNull();
    }
    assertThat(receivedUntilFence()).isEmpty();
  }

  @Test
  void disconnectWithWillMessageReasonSendsTheWill() throws Exception {
    try (RawMqttClient v5 =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("with-will").will("will/0x04", "asked for", 1, false, null))) {
      v5.disconnect(0x04);
      assertThat(v5.awaitClose(WAIT)).isNull();
    }
    assertThat(Inbox.text(inbox.next())).isEqualTo("asked for");
    assertThat(receivedUntilFence()).isEmpty();
  }

  @Test
  void willIsSentAfterTheWillDelayInterval() throws Exception {
    RawMqttClient c =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("delayed")
                .cleanStart(true)
                .properties(new Props().u32(SESSION_EXPIRY, 60))
                .will("will/delayed", "late", 1, false, new Props().u32(WILL_DELAY, 2)));
    long lost = System.nanoTime();
    c.close();
    Mqtt5Publish w = inbox.next();
    long waitedMillis = (System.nanoTime() - lost) / 1_000_000;
    assertThat(Inbox.text(w)).isEqualTo("late");
    assertThat(waitedMillis).isGreaterThanOrEqualTo(1_900);
    endSession("delayed");
  }

  @Test
  void willDelayIsCutShortWhenTheSessionExpiresFirst() throws Exception {
    RawMqttClient c =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("short-session")
                .properties(new Props().u32(SESSION_EXPIRY, 1))
                .will(
                    "will/short-session",
                    "at session end",
                    1,
                    false,
                    new Props().u32(WILL_DELAY, 600)));
    long lost = System.nanoTime();
    c.close();
    Mqtt5Publish w = inbox.next();
    assertThat(Inbox.text(w)).isEqualTo("at session end");
    assertThat((System.nanoTime() - lost) / 1_000_000).isGreaterThanOrEqualTo(900);
  }

  @Test
  void reconnectingWithinTheWillDelayCancelsTheWill() throws Exception {
    Connect connect =
        new Connect("comeback")
            .cleanStart(false)
            .properties(new Props().u32(SESSION_EXPIRY, 60))
            .will("will/comeback", "must not", 1, false, new Props().u32(WILL_DELAY, 2));
    RawMqttClient.connected(broker.mqttPort(), 5, connect).close();
    RawMqttClient again =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("comeback")
                .cleanStart(false)
                .properties(new Props().u32(SESSION_EXPIRY, 60)));
    Thread.sleep(3_000); // past the will delay
    List<Mqtt5Publish> got;
    try {
      Mqtt5BlockingClient pub = broker.v5("comeback-fence");
      pub.connect();
      pub.publishWith().topic("will/fence").qos(MqttQos.AT_LEAST_ONCE).send();
      pub.disconnect();
      got = inbox.until("will/fence");
    } finally {
      again.disconnect(0);
      again.close();
    }
    assertThat(got).isEmpty();
    endSession("comeback");
  }

  @Test
  void reconnectingWithCleanStartWithinTheWillDelaySendsTheWillAtOnce() throws Exception {
    RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("fresh")
                .cleanStart(false)
                .properties(new Props().u32(SESSION_EXPIRY, 60))
                .will("will/fresh", "old session ended", 1, false, new Props().u32(WILL_DELAY, 60)))
        .close();
    // the broker must have seen the loss before the new connection: wait until the session is
    // offline
    Await.until(
        "the other connections ended", WAIT, () -> broker.broker().sessions().onlineCount() <= 1);
    try (RawMqttClient fresh =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("fresh"))) {
      assertThat(Inbox.text(inbox.next())).isEqualTo("old session ended"); // long before 60 s
      fresh.disconnect(0);
    }
  }

  @Test
  void willWithRetainBecomesTheRetainedMessage() throws Exception {
    RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("retained-will").will("will/retained", "last words", 1, true, null))
        .close();
    assertThat(Inbox.text(inbox.next())).isEqualTo("last words");
    Mqtt5BlockingClient late = broker.v5("late-subscriber");
    Inbox<Mqtt5Publish> lateInbox =
        Inbox.connectAndSubscribe(late, "will/retained", MqttQos.AT_LEAST_ONCE);
    Mqtt5Publish m = lateInbox.next();
    assertThat(Inbox.text(m)).isEqualTo("last words");
    assertThat(m.isRetain()).isTrue();
    late.publishWith().topic("will/retained").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
    late.disconnect();
  }

  @Test
  void willCarriesItsProperties() throws Exception {
    byte[] correlation = {0, 1, 2, (byte) 0xFF};
    Props willProps =
        new Props()
            .byteProp(0x01, 1) // payload format: UTF-8
            .u32(MESSAGE_EXPIRY, 120)
            .string(0x03, "application/json")
            .string(0x08, "will/reply")
            .binary(0x09, correlation)
            .userProperty("b", "2")
            .userProperty("a", "1")
            .userProperty("b", "3");
    RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("props-will").will("will/props", "{\"bye\":true}", 1, false, willProps))
        .close();
    Mqtt5Publish w = inbox.next();
    assertThat(Inbox.text(w)).isEqualTo("{\"bye\":true}");
    assertThat(w.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(w.getContentType().map(Object::toString)).contains("application/json");
    assertThat(w.getResponseTopic().map(Object::toString)).contains("will/reply");
    assertThat(w.getCorrelationData().map(WillIT::bytes))
        .hasValueSatisfying(b -> assertThat(b).containsExactly(correlation));
    assertThat(w.getUserProperties().asList())
        .extracting(p -> p.getName() + "=" + p.getValue())
        .containsExactly("b=2", "a=1", "b=3");
    assertThat(w.getMessageExpiryInterval()).isPresent();
    assertThat(w.getMessageExpiryInterval().getAsLong()).isBetween(100L, 120L);
  }

  @Test
  void willMessageExpiryCountsFromWhenTheWillIsPublished() throws Exception {
    RawMqttClient c =
        RawMqttClient.connected(
            broker.mqttPort(),
            5,
            new Connect("long-lived")
                .will("will/expiry", "still valid", 1, false, new Props().u32(MESSAGE_EXPIRY, 4)));
    Thread.sleep(4_500); // connected for longer than the will's expiry interval
    c.close();
    Mqtt5Publish w = inbox.next();
    assertThat(Inbox.text(w)).isEqualTo("still valid");
    assertThat(w.getMessageExpiryInterval()).isPresent();
    assertThat(w.getMessageExpiryInterval().getAsLong()).isBetween(1L, 4L);
  }

  /** Ends a persistent session left behind by a test, so that no will fires in a later one. */
  private void endSession(String clientId) throws Exception {
    try (RawMqttClient c = RawMqttClient.connected(broker.mqttPort(), 5, new Connect(clientId))) {
      c.disconnect(0);
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
