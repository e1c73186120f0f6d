package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Topic aliases sent by clients (MQTT 5 section 3.3.2.3.4): the broker resolves them per connection
 * and ends the connection with DISCONNECT 0x94 for an alias it cannot accept. Raw packets, since
 * real clients choose their aliases themselves.
 */
@WithBroker
class TopicAliasIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int TOPIC_ALIAS = 0x23;
  private static final int TOPIC_ALIAS_MAXIMUM = 0x22;
  private static final int TOPIC_ALIAS_INVALID = 0x94;

  static TestBroker broker;
  Mqtt5BlockingClient subscriber;
  Inbox<Mqtt5Publish> inbox;

  @BeforeEach
  void subscribe() {
    subscriber = broker.v5("alias-sub");
    inbox = Inbox.connectAndSubscribe(subscriber, "ta/#", MqttQos.AT_LEAST_ONCE);
  }

  @AfterEach
  void unsubscribe() {
    subscriber.disconnect();
  }

  private static Props alias(int n) {
    return new Props().u16(TOPIC_ALIAS, n);
  }

  @Test
  void connackAdvertisesTheTopicAliasMaximum() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-max"))) {
      assertThat(c.connack().propertyValues(TOPIC_ALIAS_MAXIMUM)).containsExactly(10);
    }
  }

  @Test
  void publishWithAnEmptyTopicAndAKnownAliasReachesSubscribersOfTheAliasedTopic() throws Exception {
    try (RawMqttClient c = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-ok"))) {
      c.publish("ta/one", "first", 1, false, 1, alias(1));
      assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(1);
      c.publish("", "second", 1, false, 2, alias(1));
      assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(2);
      c.publish("", "third", 0, false, 0, alias(1));
      // the highest alias the broker allows, and re-mapping an alias to another topic
      c.publish("ta/ten", "fourth", 0, false, 0, alias(10));
      c.publish("ta/other", "fifth", 1, false, 3, alias(1));
      c.publish("", "sixth", 1, false, 4, alias(1));
      c.publish("", "seventh", 1, false, 5, alias(10));
      assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(3);
      assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(4);
      assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(5);
    }
    String[][] expected = {
      {"ta/one", "first"},
      {"ta/one", "second"},
      {"ta/one", "third"},
      {"ta/ten", "fourth"},
      {"ta/other", "fifth"},
      {"ta/other", "sixth"},
      {"ta/ten", "seventh"}
    };
    for (String[] e : expected) {
      Mqtt5Publish m = inbox.next();
      assertThat(m.getTopic().toString()).isEqualTo(e[0]);
      assertThat(Inbox.text(m)).isEqualTo(e[1]);
    }
  }

  @Test
  void aliasAboveTheMaximumEndsTheConnectionWithTopicAliasInvalid() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-high"))) {
      c.publish("ta/high", "x", 1, false, 1, alias(11));
      Packet disconnect = c.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
    }
  }

  @Test
  void aliasZeroEndsTheConnectionWithTopicAliasInvalid() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-zero"))) {
      c.publish("ta/zero", "x", 0, false, 0, alias(0));
      Packet disconnect = c.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
    }
  }

  @Test
  void unknownAliasWithAnEmptyTopicEndsTheConnectionWithTopicAliasInvalid() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-unknown"))) {
      c.publish("ta/known", "x", 1, false, 1, alias(1));
      c.readUntil(RawMqttClient.PUBACK, WAIT);
      c.publish("", "y", 1, false, 2, alias(2));
      Packet disconnect = c.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
    }
    assertThat(Inbox.text(inbox.next())).isEqualTo("x");
  }

  @Test
  void aliasesBelongToOneConnection() throws Exception {
    try (RawMqttClient a = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-a"));
        RawMqttClient b = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-b"))) {
      a.publish("ta/a", "from a", 1, false, 1, alias(1));
      a.readUntil(RawMqttClient.PUBACK, WAIT);
      b.publish("", "from b", 1, false, 1, alias(1));
      Packet disconnect = b.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
    }
    // a new connection of the same client starts without aliases too (MQTT-3.3.2-7)
    try (RawMqttClient a2 =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("alias-a").cleanStart(false))) {
      a2.publish("", "again", 1, false, 1, alias(1));
      Packet disconnect = a2.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
    }
    assertThat(Inbox.text(inbox.next())).isEqualTo("from a");
  }

  @Test
  void topicAliasMaximumFollowsTheConfiguration() throws Exception {
    try (TestBroker small = TestBroker.start(Map.of("limits.topic-alias-maximum", "2"))) {
      try (RawMqttClient c =
          RawMqttClient.connected(small.mqttPort(), 5, new Connect("alias-small"))) {
        assertThat(c.connack().propertyValues(TOPIC_ALIAS_MAXIMUM)).containsExactly(2);
        c.publish("ta/two", "ok", 1, false, 1, alias(2));
        assertThat(c.readUntil(RawMqttClient.PUBACK, WAIT).packetId()).isEqualTo(1);
        c.publish("ta/three", "too high", 1, false, 2, alias(3));
        Packet disconnect = c.awaitClose(WAIT);
        assertThat(disconnect).isNotNull();
        assertThat(disconnect.reasonCode()).isEqualTo(TOPIC_ALIAS_INVALID);
      }
    }
  }
}
