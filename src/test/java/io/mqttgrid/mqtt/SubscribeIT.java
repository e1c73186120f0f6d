package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAck;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Filter;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SUBSCRIBE and UNSUBSCRIBE: matching, overlapping subscriptions, options, identifiers and
 * refusals.
 */
@WithBroker
class SubscribeIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int SUBSCRIPTION_IDENTIFIER = 0x0B;

  static TestBroker broker;

  @Test
  void wildcardSubscriptionsReceiveExactlyTheMatchingTopics() throws Exception {
    Map<String, List<String>> expected = new LinkedHashMap<>();
    expected.put("w/t/+", List.of("w/t/p1"));
    expected.put("w/#", List.of("w/t/p1", "w/t/p1/r", "w/t", "w", "w/", "w//p1"));
    expected.put("w/+", List.of("w/t", "w/"));
    expected.put("+/t/+", List.of("w/t/p1", "x/t/p1"));
    expected.put("+", List.of("w"));
    expected.put("/+", List.of("/w"));
    expected.put("#", List.of("w/t/p1", "w/t/p1/r", "w/t", "w", "w/", "/w", "x/t/p1", "w//p1"));
    expected.put("w/+/p1", List.of("w/t/p1", "w//p1"));
    expected.put("x/t/p1", List.of("x/t/p1"));
    List<String> topics = List.of("w/t/p1", "w/t/p1/r", "w/t", "w", "w/", "/w", "x/t/p1", "w//p1");

    List<Mqtt5BlockingClient> subscribers = new ArrayList<>();
    List<Inbox<Mqtt5Publish>> inboxes = new ArrayList<>();
    int n = 0;
    for (String filter : expected.keySet()) {
      Mqtt5BlockingClient c = broker.v5("wild-" + n++);
      c.connect();
      inboxes.add(Inbox.of(c));
      c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
      c.subscribeWith().topicFilter("wild-end").qos(MqttQos.AT_LEAST_ONCE).send();
      subscribers.add(c);
    }
    Mqtt3BlockingClient v3 = broker.v3("wild-v3");
    Inbox<Mqtt3Publish> v3Inbox = Inbox.connectAndSubscribe(v3, "w/+/p1", MqttQos.AT_LEAST_ONCE);
    v3.subscribeWith().topicFilter("wild-end").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient pub = broker.v5("wild-pub");
    pub.connect();
    for (String t : topics) {
      pub.publishWith().topic(t).qos(MqttQos.AT_LEAST_ONCE).payload(t.getBytes()).send();
    }
    pub.publishWith().topic("wild-end").qos(MqttQos.AT_LEAST_ONCE).send();

    int i = 0;
    for (Map.Entry<String, List<String>> e : expected.entrySet()) {
      List<String> got = inboxes.get(i++).topicsUntil("wild-end");
      assertThat(got).as("filter %s", e.getKey()).containsExactlyElementsOf(e.getValue());
    }
    assertThat(v3Inbox.topicsUntil("wild-end")).containsExactly("w/t/p1", "w//p1");
    pub.disconnect();
    v3.disconnect();
    subscribers.forEach(Mqtt5BlockingClient::disconnect);
  }

  @Test
  void overlappingSubscriptionsDeliverOneCopyAtTheHighestGrantedQos() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("overlap-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(sub, "ov/+", MqttQos.AT_MOST_ONCE);
    sub.subscribeWith().topicFilter("ov/#").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.subscribeWith().topicFilter("ov/a").qos(MqttQos.AT_MOST_ONCE).send();
    Mqtt3BlockingClient sub3 = broker.v3("overlap-sub3");
    Inbox<Mqtt3Publish> inbox3 = Inbox.connectAndSubscribe(sub3, "ov/+", MqttQos.AT_MOST_ONCE);
    sub3.subscribeWith().topicFilter("ov/#").qos(MqttQos.EXACTLY_ONCE).send();

    Mqtt5BlockingClient pub = broker.v5("overlap-pub");
    pub.connect();
    pub.publishWith().topic("ov/a").qos(MqttQos.EXACTLY_ONCE).payload("two".getBytes()).send();
    pub.publishWith().topic("ov/a").qos(MqttQos.AT_MOST_ONCE).payload("zero".getBytes()).send();
    pub.publishWith().topic("ov/end").qos(MqttQos.AT_LEAST_ONCE).send();

    List<Mqtt5Publish> got = inbox.until("ov/end");
    assertThat(got).extracting(Inbox::text).containsExactly("two", "zero");
    assertThat(got.get(0).getQos())
        .isEqualTo(MqttQos.AT_LEAST_ONCE); // max(0, 1, 0) of the matching ones
    assertThat(got.get(1).getQos())
        .isEqualTo(MqttQos.AT_MOST_ONCE); // never above the published QoS
    List<Mqtt3Publish> got3 = inbox3.until("ov/end");
    assertThat(got3).extracting(Inbox::text).containsExactly("two", "zero");
    assertThat(got3.get(0).getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    pub.disconnect();
    sub.disconnect();
    sub3.disconnect();
  }

  @Test
  void matchingMessagesCarryTheIdentifiersOfEveryMatchingSubscription() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("subid-raw"))) {
      c.subscribe(1, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 11), Filter.of("sid/+", 0));
      assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(0);
      c.subscribe(2, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 222_222), Filter.of("sid/#", 1));
      assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(1);
      c.subscribe(3, null, Filter.of("sid/a", 0));
      assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(0);

      Mqtt5BlockingClient pub = broker.v5("subid-pub");
      pub.connect();
      pub.publishWith().topic("sid/a").qos(MqttQos.AT_LEAST_ONCE).payload("1".getBytes()).send();
      Packet p = c.readPublish(WAIT);
      assertThat(p.topic()).isEqualTo("sid/a");
      assertThat(p.qos()).isEqualTo(1);
      assertThat(p.subscriptionIds()).containsExactlyInAnyOrder(11, 222_222);

      pub.publishWith().topic("sid/a/b").qos(MqttQos.AT_LEAST_ONCE).payload("2".getBytes()).send();
      p = c.readPublish(WAIT);
      assertThat(p.topic()).isEqualTo("sid/a/b");
      assertThat(p.subscriptionIds()).containsExactly(222_222);

      // a new SUBSCRIBE to the same filter replaces the subscription, identifier included
      c.subscribe(4, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 33), Filter.of("sid/+", 0));
      c.readUntil(RawMqttClient.SUBACK, WAIT);
      pub.publishWith().topic("sid/b").qos(MqttQos.AT_LEAST_ONCE).payload("3".getBytes()).send();
      p = c.readPublish(WAIT);
      assertThat(p.payloadText()).isEqualTo("3");
      assertThat(p.subscriptionIds()).containsExactlyInAnyOrder(33, 222_222);

      // only the subscription without identifier matches: no identifier at all
      c.subscribe(5, null, Filter.of("sidx/only", 0));
      c.readUntil(RawMqttClient.SUBACK, WAIT);
      pub.publishWith().topic("sidx/only").qos(MqttQos.AT_MOST_ONCE).payload("4".getBytes()).send();
      p = c.readPublish(WAIT);
      assertThat(p.payloadText()).isEqualTo("4");
      assertThat(p.subscriptionIds()).isEmpty();
      pub.disconnect();
    }
  }

  @Test
  void retainedMessagesSentOnSubscribeCarryThatSubscriptionsIdentifier() throws Exception {
    Mqtt5BlockingClient pub = broker.v5("subid-retained-pub");
    pub.connect();
    pub.publishWith()
        .topic("sidr/a")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload("r".getBytes())
        .send();
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("subid-retained"))) {
      c.subscribe(1, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 5), Filter.of("sidr/#", 1));
      c.readUntil(RawMqttClient.SUBACK, WAIT);
      // the largest identifier MQTT allows (a four-byte variable byte integer)
      c.subscribe(
          2, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 268_435_455), Filter.of("sidr/+", 1));
      c.readUntil(RawMqttClient.SUBACK, WAIT);
      Packet first = c.readPublish(WAIT);
      Packet second = c.readPublish(WAIT);
      assertThat(first.retain()).isTrue();
      assertThat(second.retain()).isTrue();
      // each subscription's retained copy carries only its own identifier (MQTT-3.3.4-3 applies to
      // matches)
      assertThat(List.of(first.subscriptionIds(), second.subscriptionIds()))
          .containsExactlyInAnyOrder(List.of(5), List.of(268_435_455));
    } finally {
      pub.publishWith().topic("sidr/a").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
      pub.disconnect();
    }
  }

  @Test
  void subscriptionIdentifierZeroIsAProtocolError() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("subid-zero"))) {
      c.subscribe(1, new Props().varInt(SUBSCRIPTION_IDENTIFIER, 0), Filter.of("sid0/+", 0));
      Packet disconnect = c.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(0x82);
    }
  }

  @Test
  void grantedQosIsTheRequestedQos() throws Exception {
    Mqtt5BlockingClient c = broker.v5("granted");
    c.connect();
    Mqtt5SubAck ack =
        c.subscribeWith()
            .addSubscription()
            .topicFilter("g/0")
            .qos(MqttQos.AT_MOST_ONCE)
            .applySubscription()
            .addSubscription()
            .topicFilter("g/1")
            .qos(MqttQos.AT_LEAST_ONCE)
            .applySubscription()
            .addSubscription()
            .topicFilter("g/2")
            .qos(MqttQos.EXACTLY_ONCE)
            .applySubscription()
            .send();
    assertThat(ack.getReasonCodes())
        .containsExactly(
            Mqtt5SubAckReasonCode.GRANTED_QOS_0,
            Mqtt5SubAckReasonCode.GRANTED_QOS_1,
            Mqtt5SubAckReasonCode.GRANTED_QOS_2);

    // a message is delivered at the lower of its QoS and the granted QoS
    Inbox<Mqtt5Publish> inbox = Inbox.of(c);
    Mqtt5BlockingClient pub = broker.v5("granted-pub");
    pub.connect();
    pub.publishWith().topic("g/0").qos(MqttQos.EXACTLY_ONCE).send();
    pub.publishWith().topic("g/1").qos(MqttQos.EXACTLY_ONCE).send();
    pub.publishWith().topic("g/2").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(inbox.next().getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);
    assertThat(inbox.next().getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(inbox.next().getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    pub.disconnect();
    c.disconnect();
  }

  @Test
  void grantedQosIsCappedByTheBrokersMaximumQos() throws Exception {
    try (TestBroker capped = TestBroker.start(Map.of("limits.max-qos", "1"));
        RawMqttClient v5 = RawMqttClient.connected(capped.mqttPort(), 5, new Connect("cap5"));
        RawMqttClient v3 = RawMqttClient.connected(capped.mqttPort(), 4, new Connect("cap3"))) {
      v5.subscribe(1, null, Filter.of("c/0", 0), Filter.of("c/1", 1), Filter.of("c/2", 2));
      assertThat(v5.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(0, 1, 1);
      v3.subscribe(1, null, Filter.of("c/0", 0), Filter.of("c/2", 2));
      assertThat(v3.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(0, 1);
    }
  }

  @Test
  void noLocalKeepsAClientsOwnMessagesFromIt() throws Exception {
    Mqtt5BlockingClient c = broker.v5("nolocal");
    c.connect();
    Inbox<Mqtt5Publish> inbox = Inbox.of(c);
    c.subscribeWith().topicFilter("nl/t").qos(MqttQos.AT_LEAST_ONCE).noLocal(true).send();
    c.subscribeWith().topicFilter("nl/end").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient other = broker.v5("nolocal-other");
    other.connect();

    c.publishWith().topic("nl/t").qos(MqttQos.AT_LEAST_ONCE).payload("own".getBytes()).send();
    other.publishWith().topic("nl/t").qos(MqttQos.AT_LEAST_ONCE).payload("other".getBytes()).send();
    c.publishWith().topic("nl/end").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(inbox.until("nl/end")).extracting(Inbox::text).containsExactly("other");

    // another subscription without No Local still brings the client its own message, once
    c.subscribeWith().topicFilter("nl/#").qos(MqttQos.AT_LEAST_ONCE).send();
    c.publishWith().topic("nl/t").qos(MqttQos.AT_LEAST_ONCE).payload("own2".getBytes()).send();
    c.publishWith().topic("nl/end").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(inbox.until("nl/end")).extracting(Inbox::text).containsExactly("own2");
    other.disconnect();
    c.disconnect();
  }

  @Test
  void retainAsPublishedKeepsTheRetainFlagOfForwardedMessages() throws Exception {
    Mqtt5BlockingClient keep = broker.v5("rap-keep");
    keep.connect();
    Inbox<Mqtt5Publish> keepInbox = Inbox.of(keep);
    keep.subscribeWith()
        .topicFilter("rap/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainAsPublished(true)
        .send();
    Mqtt5BlockingClient clear = broker.v5("rap-clear");
    Inbox<Mqtt5Publish> clearInbox =
        Inbox.connectAndSubscribe(clear, "rap/t", MqttQos.AT_LEAST_ONCE);
    Mqtt3BlockingClient v3 = broker.v3("rap-v3");
    Inbox<Mqtt3Publish> v3Inbox = Inbox.connectAndSubscribe(v3, "rap/t", MqttQos.AT_LEAST_ONCE);

    Mqtt5BlockingClient pub = broker.v5("rap-pub");
    pub.connect();
    pub.publishWith()
        .topic("rap/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload("r".getBytes())
        .send();
    pub.publishWith().topic("rap/t").qos(MqttQos.AT_LEAST_ONCE).payload("n".getBytes()).send();

    Mqtt5Publish k1 = keepInbox.next();
    Mqtt5Publish k2 = keepInbox.next();
    assertThat(Inbox.text(k1)).isEqualTo("r");
    assertThat(k1.isRetain()).isTrue();
    assertThat(k2.isRetain()).isFalse();
    Mqtt5Publish c1 = clearInbox.next();
    assertThat(Inbox.text(c1)).isEqualTo("r");
    assertThat(c1.isRetain()).isFalse(); // MQTT-3.3.1-12: RAP 0 clears the flag
    assertThat(clearInbox.next().isRetain()).isFalse();
    Mqtt3Publish v1 = v3Inbox.next();
    assertThat(v1.isRetain())
        .isFalse(); // MQTT 3.1.1 3.3.1.3: not retained for an existing subscription
    // clean up the retained message for other tests
    pub.publishWith().topic("rap/t").retain(true).send();
    pub.disconnect();
    keep.disconnect();
    clear.disconnect();
    v3.disconnect();
  }

  @Test
  void invalidFiltersAreRefusedWithTopicFilterInvalidInV5() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("badfilter5"))) {
      c.subscribe(
          7,
          null,
          Filter.of("a/#/b", 1),
          Filter.of("bf5/ok/+", 1),
          Filter.of("a+b", 1),
          Filter.of("#/x", 0),
          Filter.of("x/y#", 0),
          Filter.of("$share/g", 0),
          Filter.of("$share//x", 0),
          Filter.of("l/".repeat(15) + "l", 0),
          Filter.of("x".repeat(257), 0));
      Packet ack = c.readUntil(RawMqttClient.SUBACK, WAIT);
      assertThat(ack.packetId()).isEqualTo(7);
      assertThat(ack.reasonCodes())
          .containsExactly(0x8F, 0x01, 0x8F, 0x8F, 0x8F, 0x8F, 0x8F, 0x8F, 0x8F);

      // the valid filter of that SUBSCRIBE works, and the connection stays usable
      Mqtt5BlockingClient pub = broker.v5("badfilter5-pub");
      pub.connect();
      pub.publishWith()
          .topic("bf5/ok/x")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("fine".getBytes())
          .send();
      assertThat(c.readPublish(WAIT).payloadText()).isEqualTo("fine");
      pub.disconnect();
    }
  }

  @Test
  void invalidFiltersAreRefusedWithFailureInV3() throws Exception {
    try (RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 4, new Connect("badfilter3"))) {
      c.subscribe(9, null, Filter.of("a/#/b", 1), Filter.of("bf3/ok", 1), Filter.of("+x", 0));
      Packet ack = c.readUntil(RawMqttClient.SUBACK, WAIT);
      assertThat(ack.packetId()).isEqualTo(9);
      assertThat(ack.reasonCodes()).containsExactly(0x80, 0x01, 0x80);
    }
  }

  @Test
  void moreFiltersInOneSubscribeThanAllowedAreRefusedWithQuotaExceeded() throws Exception {
    Filter[] eleven = new Filter[11];
    for (int i = 0; i < eleven.length; i++) {
      eleven[i] = Filter.of("many/" + i, 1);
    }
    Filter[] ten = java.util.Arrays.copyOf(eleven, 10);
    try (RawMqttClient v5 =
            RawMqttClient.connected(broker.mqttPort(), 5, new Connect("manyfilters5"));
        RawMqttClient v3 =
            RawMqttClient.connected(broker.mqttPort(), 4, new Connect("manyfilters3"))) {
      v5.subscribe(1, null, eleven);
      assertThat(v5.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
          .hasSize(11)
          .containsOnly(0x97);
      v5.subscribe(2, null, ten);
      assertThat(v5.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
          .hasSize(10)
          .containsOnly(0x01);
      v3.subscribe(1, null, eleven);
      assertThat(v3.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
          .hasSize(11)
          .containsOnly(0x80);
    }
  }

  @Test
  void subscriptionsBeyondTheSessionLimitAreRefusedWithQuotaExceeded() throws Exception {
    try (RawMqttClient v5 =
            RawMqttClient.connected(broker.mqttPort(), 5, new Connect("manysubs5"));
        RawMqttClient v3 =
            RawMqttClient.connected(broker.mqttPort(), 4, new Connect("manysubs3"))) {
      for (RawMqttClient c : List.of(v5, v3)) {
        for (int batch = 0; batch < 5; batch++) {
          Filter[] filters = new Filter[10];
          for (int i = 0; i < 10; i++) {
            filters[i] = Filter.of("lim/" + (batch * 10 + i), 0);
          }
          c.subscribe(batch + 1, null, filters);
          assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsOnly(0x00);
        }
        int refused = c.version() == 5 ? 0x97 : 0x80;
        // the 51st is refused; subscribing again to one the session has is a replacement, not a new
        // one
        c.subscribe(6, null, Filter.of("lim/50", 0), Filter.of("lim/3", 1));
        assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
            .containsExactly(refused, 0x01);
        c.unsubscribe(7, "lim/0");
        c.readUntil(RawMqttClient.UNSUBACK, WAIT);
        c.subscribe(8, null, Filter.of("lim/50", 0), Filter.of("lim/51", 0));
        assertThat(c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
            .containsExactly(0x00, refused);
      }
    }
  }

  @Test
  void unsubscribeAnswersNoSubscriptionExistedForAnUnknownFilterAndStopsDelivery()
      throws Exception {
    Mqtt5BlockingClient c = broker.v5("unsub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(c, "us/a", MqttQos.AT_LEAST_ONCE);
    c.subscribeWith().topicFilter("us/end").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5UnsubAck ack =
        c.unsubscribeWith().addTopicFilter("us/a").addTopicFilter("us/never").send();
    assertThat(ack.getReasonCodes())
        .containsExactly(
            Mqtt5UnsubAckReasonCode.SUCCESS, Mqtt5UnsubAckReasonCode.NO_SUBSCRIPTIONS_EXISTED);

    Mqtt5BlockingClient pub = broker.v5("unsub-pub");
    pub.connect();
    pub.publishWith().topic("us/a").qos(MqttQos.AT_LEAST_ONCE).payload("gone".getBytes()).send();
    pub.publishWith().topic("us/end").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(inbox.until("us/end")).isEmpty();

    // v3.1.1 UNSUBACK has no reason codes; the v3 client just gets its UNSUBACK
    try (RawMqttClient v3 = RawMqttClient.connected(broker.mqttPort(), 4, new Connect("unsub3"))) {
      v3.unsubscribe(3, "us/never");
      Packet unsuback = v3.readUntil(RawMqttClient.UNSUBACK, WAIT);
      assertThat(unsuback.packetId()).isEqualTo(3);
      assertThat(unsuback.body()).hasSize(2);
    }
    pub.disconnect();
    c.disconnect();
  }
}
