package io.mqttgrid.session;

import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PROP_MESSAGE_EXPIRY;
import static io.mqttgrid.testing.RawMqttClient.PUBLISH;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.hazelcast.HazelcastSessionStore;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Persistent sessions: Clean Start / clean session, Session Expiry (also set at DISCONNECT), the
 * offline queue with its bound and overflow policies, Message Expiry while queued, and the rule
 * that a QoS 1/2 publish is acknowledged only once every matching persistent session has stored it.
 */
@WithBroker
class PersistentSessionIT {

  static TestBroker broker;

  private static Mqtt5BlockingClient publisher(TestBroker b, String id) {
    Mqtt5BlockingClient pub = b.v5(id);
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

  /** The reason code of the error PUBACK a QoS 1 publish gets; fails if it is acknowledged. */
  private static Mqtt5PubAckReasonCode refusedWith(
      Mqtt5BlockingClient pub, String topic, String payload) {
    try {
      publish(pub, topic, payload, MqttQos.AT_LEAST_ONCE);
    } catch (Mqtt5PubAckException refused) {
      return refused.getMqttMessage().getReasonCode();
    }
    throw new AssertionError("'" + payload + "' was acknowledged with success");
  }

  /** Messages a session dropped because its queue was full, by the node's meters. */
  private static double droppedQueueFull(TestBroker b) throws Exception {
    return TestBroker.metricValue(
        b.scrapeMetrics(), "mqttgrid_messages_dropped_total", "reason=\"queue-full\"");
  }

  private static RawMqttClient open(TestBroker b, boolean v5) throws Exception {
    return v5 ? RawMqttClient.open(b.mqttPort(), 5) : RawMqttClient.open(b.mqttPort(), 4);
  }

  private static boolean storeHasSession(TestBroker b, String clientId) {
    return b.broker().hazelcast().getMap(HazelcastSessionStore.SESSIONS).containsKey(clientId);
  }

  private static SessionRecord storedRecord(TestBroker b, String clientId) {
    return (SessionRecord)
        b.broker().hazelcast().getMap(HazelcastSessionStore.SESSIONS).get(clientId);
  }

  /**
   * Until the broker, not only the client, is done with the connection: a message that still met it
   * would be in flight, not queued, and an offline queue would fill one message later (seen on a
   * loaded CI machine).
   */
  private static void awaitOffline(TestBroker b, String clientId) {
    Await.until(
        clientId + " offline in the store",
        Duration.ofSeconds(10),
        () -> !storedRecord(b, clientId).connected());
  }

  private static List<QueuedMessage> storedQueue(TestBroker b, String clientId) {
    SessionQueue q =
        (SessionQueue) b.broker().hazelcast().getMap(HazelcastSessionStore.QUEUES).get(clientId);
    return q == null ? List.of() : q.snapshot();
  }

  private static String text(Packet p) {
    return p.payloadText();
  }

  // ------------------------------------------------------------------ Clean Start

  @ParameterizedTest(name = "MQTT 5: {0}")
  @ValueSource(booleans = {true, false})
  void cleanStartDiscardsTheStoredSession(boolean v5) throws Exception {
    String id = "clean-" + (v5 ? "v5" : "v3");
    String topic = "clean/" + id;
    try (RawMqttClient c = open(broker, v5)) {
      assertThat(c.connect(new Connect(id).cleanStart(false).sessionExpiry(300)).sessionPresent())
          .isFalse();
      c.subscribe(1, topic, 1);
      c.expect(RawMqttClient.SUBACK);
      c.disconnect();
      assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(storeHasSession(broker, id)).isTrue();
    try (RawMqttClient c = open(broker, v5)) {
      assertThat(c.connect(new Connect(id).cleanStart(true)).sessionPresent()).isFalse();
      Mqtt5BlockingClient pub = publisher(broker, id + "-pub");
      publish(pub, topic, "to-nobody", MqttQos.AT_LEAST_ONCE);
      pub.disconnect();
      // the old subscription went with the old session
      assertThat(c.drain(Duration.ofSeconds(1))).isEmpty();
    }
  }

  // ------------------------------------------------------------------ offline queue

  @Test
  void v3PersistentSessionKeepsSubscriptionsAndQueuedMessagesInOrder() throws Exception {
    String id = "v3-persistent";
    Mqtt3BlockingClient first = broker.v3(id);
    assertThat(first.connectWith().cleanSession(false).send().isSessionPresent()).isFalse();
    first.subscribeWith().topicFilter("v3p/q1").qos(MqttQos.AT_LEAST_ONCE).send();
    first.subscribeWith().topicFilter("v3p/q2").qos(MqttQos.EXACTLY_ONCE).send();
    first.disconnect();
    // the client's DISCONNECT and the publisher's PUBLISHes arrive on different connections: the
    // QoS 0 one
    // must meet an offline session, so the broker has to have seen the DISCONNECT first
    Await.until(
        "session marked offline",
        Duration.ofSeconds(10),
        () -> !storedRecord(broker, id).connected());

    Mqtt5BlockingClient pub = publisher(broker, "v3-persistent-pub");
    for (int i = 0; i < 5; i++) {
      publish(pub, "v3p/q1", "m" + i, MqttQos.AT_LEAST_ONCE);
    }
    publish(pub, "v3p/q2", "exactly", MqttQos.EXACTLY_ONCE);
    publish(pub, "v3p/q1", "qos0-not-kept", MqttQos.AT_MOST_ONCE);

    Mqtt3BlockingClient again = broker.v3(id);
    try (Mqtt3BlockingClient.Mqtt3Publishes received =
        again.publishes(MqttGlobalPublishFilter.ALL)) {
      assertThat(again.connectWith().cleanSession(false).send().isSessionPresent()).isTrue();
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Optional<Mqtt3Publish> m = received.receive(10, TimeUnit.SECONDS);
        assertThat(m).as("queued message %d", i).isPresent();
        got.add(
            new String(m.get().getPayloadAsBytes(), StandardCharsets.UTF_8)
                + "@"
                + m.get().getQos().getCode());
      }
      assertThat(got).containsExactly("m0@1", "m1@1", "m2@1", "m3@1", "m4@1", "exactly@2");
      assertThat(received.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
      // the subscriptions are still in force
      publish(pub, "v3p/q1", "online", MqttQos.AT_LEAST_ONCE);
      Optional<Mqtt3Publish> online = received.receive(10, TimeUnit.SECONDS);
      assertThat(online).isPresent();
      assertThat(new String(online.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("online");
    }
    again.disconnect();
    pub.disconnect();
  }

  @Test
  void v5PersistentSessionKeepsQueuedMessagesInOrder() throws Exception {
    String id = "v5-persistent";
    Mqtt5BlockingClient first = broker.v5(id);
    first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    first.subscribeWith().topicFilter("v5p/#").qos(MqttQos.EXACTLY_ONCE).send();
    first.disconnect();

    Mqtt5BlockingClient pub = publisher(broker, "v5-persistent-pub");
    for (int i = 0; i < 5; i++) {
      publish(pub, "v5p/t", "m" + i, i % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE);
    }
    Mqtt5BlockingClient again = broker.v5(id);
    try (Mqtt5BlockingClient.Mqtt5Publishes received =
        again.publishes(MqttGlobalPublishFilter.ALL)) {
      assertThat(
              again
                  .connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(300)
                  .send()
                  .isSessionPresent())
          .isTrue();
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Optional<Mqtt5Publish> m = received.receive(10, TimeUnit.SECONDS);
        assertThat(m).as("queued message %d", i).isPresent();
        got.add(new String(m.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
      }
      assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4");
      assertThat(received.receive(500, TimeUnit.MILLISECONDS)).isEmpty();
    }
    again.disconnect();
    pub.disconnect();
  }

  @Test
  void resumingWithExpiryZeroDeliversTheQueueAndThenEndsTheSession() throws Exception {
    try (RawMqttClient sub = open(broker, true)) {
      sub.connect(new Connect("resume-zero").sessionExpiry(300));
      sub.subscribe(1, "resumezero/t", 1);
      sub.expect(RawMqttClient.SUBACK);
      sub.disconnect();
      assertThat(sub.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    Mqtt5BlockingClient pub = publisher(broker, "resume-zero-pub");
    publish(pub, "resumezero/t", "queued", MqttQos.AT_LEAST_ONCE);
    try (RawMqttClient sub = open(broker, true)) {
      // MQTT-3.1.2-5: Clean Start 0 resumes the session, whatever expiry it asks for from now on
      assertThat(sub.connect(new Connect("resume-zero").cleanStart(false)).sessionPresent())
          .isTrue();
      Packet queued = sub.expect(PUBLISH);
      assertThat(text(queued)).isEqualTo("queued");
      sub.puback(queued.packetId());
      publish(pub, "resumezero/t", "online", MqttQos.AT_LEAST_ONCE);
      Packet online = sub.expect(PUBLISH);
      assertThat(text(online)).isEqualTo("online");
      sub.puback(online.packetId());
      sub.disconnect();
      assertThat(sub.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    pub.disconnect();
    // with expiry 0 the session ended with that connection
    try (RawMqttClient sub = open(broker, true)) {
      assertThat(
              sub.connect(new Connect("resume-zero").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isFalse();
    }
  }

  @Test
  void qos1And2PublishesAreAcknowledgedOnlyAfterPersistentSessionsStoredThem() throws Exception {
    // an offline persistent session, and an online one that does not acknowledge
    try (RawMqttClient offline = open(broker, true)) {
      offline.connect(new Connect("durable-offline").sessionExpiry(300));
      offline.subscribe(1, "durable/#", 2);
      offline.expect(RawMqttClient.SUBACK);
      offline.disconnect();
      assertThat(offline.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    try (RawMqttClient online = open(broker, true)) {
      online.connect(new Connect("durable-online").sessionExpiry(300));
      online.subscribe(1, "durable/#", 2);
      online.expect(RawMqttClient.SUBACK);
      Mqtt5BlockingClient pub = publisher(broker, "durable-pub");
      publish(pub, "durable/t", "q1", MqttQos.AT_LEAST_ONCE); // returns on PUBACK
      assertThat(storedQueue(broker, "durable-offline"))
          .extracting(q -> q.message().topic() + "=" + payload(q))
          .containsExactly("durable/t=q1");
      assertThat(storedQueue(broker, "durable-online"))
          .extracting(QueuedMessage::state, q -> payload(q))
          .containsExactly(org.assertj.core.groups.Tuple.tuple(QueuedMessage.State.SENT, "q1"));
      publish(pub, "durable/t", "q2", MqttQos.EXACTLY_ONCE); // returns on PUBCOMP, after PUBREC
      assertThat(storedQueue(broker, "durable-offline"))
          .extracting(PersistentSessionIT::payload)
          .containsExactly("q1", "q2");
      assertThat(storedQueue(broker, "durable-online"))
          .extracting(PersistentSessionIT::payload)
          .containsExactly("q1", "q2");
      pub.disconnect();
    }
  }

  private static String payload(QueuedMessage q) {
    return new String(q.message().payload(), StandardCharsets.UTF_8);
  }

  @Test
  void offlineQueueKeepsTheOldestMessagesWhenFullUnderDropNew() throws Exception {
    try (TestBroker small =
        TestBroker.start(
            Map.of("session.max-queued-messages", "3", "session.overflow", "drop-new"))) {
      try (RawMqttClient sub = open(small, true)) {
        sub.connect(new Connect("bounded").sessionExpiry(300));
        sub.subscribe(1, "bounded/t", 1);
        sub.expect(RawMqttClient.SUBACK);
        sub.disconnect();
        assertThat(sub.closedWithin(Duration.ofSeconds(10))).isTrue();
      }
      awaitOffline(small, "bounded");
      Mqtt5BlockingClient pub = publisher(small, "bounded-pub");
      for (int i = 0; i < 3; i++) {
        publish(pub, "bounded/t", "m" + i, MqttQos.AT_LEAST_ONCE);
      }
      // the only subscriber could not keep these: the publisher hears Quota exceeded, not success
      for (int i = 3; i < 5; i++) {
        assertThat(refusedWith(pub, "bounded/t", "m" + i))
            .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
      }
      assertThat(droppedQueueFull(small)).isEqualTo(2.0);
      pub.disconnect();
      try (RawMqttClient sub = open(small, true)) {
        assertThat(
                sub.connect(new Connect("bounded").cleanStart(false).sessionExpiry(300))
                    .sessionPresent())
            .isTrue();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Packet p = sub.expect(PUBLISH);
          got.add(text(p));
          sub.puback(p.packetId());
        }
        assertThat(got).containsExactly("m0", "m1", "m2");
        assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
      }
    }
  }

  @Test
  void offlineQueueOverflowEndsTheSessionUnderTerminateSession() throws Exception {
    try (TestBroker small =
        TestBroker.start(
            Map.of("session.max-queued-messages", "3", "session.overflow", "terminate-session"))) {
      try (RawMqttClient sub = open(small, true)) {
        sub.connect(new Connect("terminated").sessionExpiry(300));
        sub.subscribe(1, "terminated/t", 1);
        sub.expect(RawMqttClient.SUBACK);
        sub.disconnect();
        assertThat(sub.closedWithin(Duration.ofSeconds(10))).isTrue();
      }
      awaitOffline(small, "terminated");
      Mqtt5BlockingClient pub = publisher(small, "terminated-pub");
      for (int i = 0; i < 3; i++) {
        publish(pub, "terminated/t", "m" + i, MqttQos.AT_LEAST_ONCE);
      }
      assertThat(storeHasSession(small, "terminated")).isTrue();
      assertThat(refusedWith(pub, "terminated/t", "overflow"))
          .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
      Await.until(
          "session record removed",
          Duration.ofSeconds(10),
          () -> !storeHasSession(small, "terminated"));
      // record and queue live in two maps: the queue goes right after the record
      Await.until(
          "session queue removed",
          Duration.ofSeconds(10),
          () -> storedQueue(small, "terminated").isEmpty());
      publish(pub, "terminated/t", "after", MqttQos.AT_LEAST_ONCE);
      pub.disconnect();
      try (RawMqttClient sub = open(small, true)) {
        assertThat(
                sub.connect(new Connect("terminated").cleanStart(false).sessionExpiry(300))
                    .sessionPresent())
            .isFalse();
        assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
      }
    }
  }

  @Test
  void queuedMessagesExpireAndCarryTheirRemainingExpiry() throws Exception {
    try (RawMqttClient sub = open(broker, true)) {
      sub.connect(new Connect("msg-expiry").sessionExpiry(300));
      sub.subscribe(1, "msgexp/t", 1);
      sub.expect(RawMqttClient.SUBACK);
      sub.disconnect();
      assertThat(sub.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    Mqtt5BlockingClient pub = publisher(broker, "msg-expiry-pub");
    pub.publishWith()
        .topic("msgexp/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("short".getBytes())
        .messageExpiryInterval(1)
        .send();
    pub.publishWith()
        .topic("msgexp/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("long".getBytes())
        .messageExpiryInterval(60)
        .send();
    pub.publishWith()
        .topic("msgexp/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("forever".getBytes())
        .send();
    pub.disconnect();
    long publishedAt = System.nanoTime();
    Thread.sleep(2_200); // longer than "short" may live, well inside "long"
    // measured before the reconnect: a lower bound of the time the message waited when it is sent
    long waitedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - publishedAt);
    try (RawMqttClient sub = open(broker, true)) {
      sub.connect(new Connect("msg-expiry").cleanStart(false).sessionExpiry(300));
      Packet longLived = sub.expect(PUBLISH);
      assertThat(text(longLived)).isEqualTo("long");
      long remaining = (Long) longLived.property(PROP_MESSAGE_EXPIRY);
      assertThat(remaining).isPositive().isLessThanOrEqualTo(60 - (int) waitedSeconds);
      sub.puback(longLived.packetId());
      Packet forever = sub.expect(PUBLISH);
      assertThat(text(forever)).isEqualTo("forever");
      assertThat(forever.hasProperty(PROP_MESSAGE_EXPIRY)).isFalse();
      sub.puback(forever.packetId());
      assertThat(sub.drain(Duration.ofSeconds(1))).isEmpty();
    }
  }

  // ------------------------------------------------------------------ Session Expiry Interval

  @Test
  void sessionEndsWhenItsExpiryIntervalPasses() throws Exception {
    for (String id : List.of("expires-soon", "expires-later")) {
      try (RawMqttClient c = open(broker, true)) {
        c.connect(new Connect(id).sessionExpiry(id.equals("expires-soon") ? 1 : 300));
        c.subscribe(1, "expiry/" + id, 1);
        c.expect(RawMqttClient.SUBACK);
        c.disconnect();
        assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
      }
    }
    Await.until(
        "expired session removed from the store",
        Duration.ofSeconds(15),
        () -> !storeHasSession(broker, "expires-soon"));
    Mqtt5BlockingClient pub = publisher(broker, "expiry-pub");
    publish(pub, "expiry/expires-soon", "too-late", MqttQos.AT_LEAST_ONCE);
    publish(pub, "expiry/expires-later", "kept", MqttQos.AT_LEAST_ONCE);
    pub.disconnect();
    try (RawMqttClient c = open(broker, true)) {
      assertThat(
              c.connect(new Connect("expires-soon").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isFalse();
      assertThat(c.drain(Duration.ofSeconds(1))).isEmpty();
    }
    try (RawMqttClient c = open(broker, true)) {
      assertThat(
              c.connect(new Connect("expires-later").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isTrue();
      assertThat(text(c.expect(PUBLISH))).isEqualTo("kept");
    }
  }

  @Test
  void disconnectWithExpiryZeroEndsThePersistentSession() throws Exception {
    try (RawMqttClient c = open(broker, true)) {
      c.connect(new Connect("shortened").sessionExpiry(300));
      c.subscribe(1, "shortened/t", 1);
      c.expect(RawMqttClient.SUBACK);
      c.disconnectWithSessionExpiry(0);
      assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    Await.until(
        "session removed from the store",
        Duration.ofSeconds(10),
        () -> !storeHasSession(broker, "shortened"));
    try (RawMqttClient c = open(broker, true)) {
      assertThat(
              c.connect(new Connect("shortened").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isFalse();
    }
  }

  @Test
  void disconnectCanLengthenTheSessionExpiry() throws Exception {
    try (RawMqttClient c = open(broker, true)) {
      c.connect(new Connect("lengthened").sessionExpiry(1));
      c.subscribe(1, "lengthened/t", 1);
      c.expect(RawMqttClient.SUBACK);
      c.disconnectWithSessionExpiry(300);
      assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    Thread.sleep(2_500); // beyond the CONNECT's 1 s
    assertThat(storeHasSession(broker, "lengthened")).isTrue();
    try (RawMqttClient c = open(broker, true)) {
      assertThat(
              c.connect(new Connect("lengthened").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isTrue();
    }
  }

  @Test
  void disconnectSettingExpiryAfterConnectWithZeroIsAProtocolError() throws Exception {
    try (RawMqttClient c = open(broker, true)) {
      c.connect(new Connect("zero-then-more"));
      c.subscribe(1, "zero/t", 1);
      c.expect(RawMqttClient.SUBACK);
      c.disconnectWithSessionExpiry(60);
      Packet p = c.poll(Duration.ofSeconds(10));
      assertThat(p).isNotNull();
      assertThat(p.type()).isEqualTo(DISCONNECT);
      assertThat(p.reasonCode()).isEqualTo(0x82);
      assertThat(c.expect(CLOSED).type()).isEqualTo(CLOSED);
    }
    // the session ended with the connection, as its CONNECT said
    try (RawMqttClient c = open(broker, true)) {
      assertThat(
              c.connect(new Connect("zero-then-more").cleanStart(false).sessionExpiry(300))
                  .sessionPresent())
          .isFalse();
    }
  }
}
