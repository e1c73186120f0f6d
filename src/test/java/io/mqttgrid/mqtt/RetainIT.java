package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retained messages: set, replace, clear; sent on subscribe as Retain Handling says; expiry;
 * wildcard look-ups over many topics.
 *
 * <p>Retained messages reach a new subscription after its SUBACK, from an asynchronous store read.
 * To prove that nothing more is coming, {@link #receivedUntilFence} subscribes to a second filter
 * whose retained "fence" message comes after, then asks for a live message behind it.
 */
@WithBroker
class RetainIT {

  static TestBroker broker;
  Mqtt5BlockingClient pub;

  @BeforeEach
  void connectPublisher() {
    pub = broker.v5("retain-pub");
    pub.connect();
  }

  @AfterEach
  void disconnectPublisher() {
    pub.disconnect();
  }

  private void retain(String topic, String payload) {
    // QoS 1: the PUBACK comes once the retained store has the message
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(payload.getBytes())
        .send();
  }

  /**
   * What {@code client} received (after what its test subscribed to) until a fence proves the
   * broker has nothing more on its way: the retained fence of a fresh subscription, then a live
   * message behind it.
   */
  private List<Mqtt5Publish> receivedUntilFence(
      Mqtt5BlockingClient client, Inbox<Mqtt5Publish> inbox, String prefix)
      throws InterruptedException {
    String fence = prefix + "-fence/retained";
    String live = prefix + "-fence/live";
    retain(fence, "fence");
    client.subscribeWith().topicFilter(prefix + "-fence/#").qos(MqttQos.AT_LEAST_ONCE).send();
    List<Mqtt5Publish> out = new ArrayList<>(inbox.until(fence));
    pub.publishWith().topic(live).qos(MqttQos.AT_LEAST_ONCE).send();
    out.addAll(inbox.until(live));
    return out;
  }

  @Test
  void retainedMessageIsSetReplacedAndClearedByAnEmptyPayload() throws Exception {
    retain("r1/t", "v1");
    Mqtt5BlockingClient a = broker.v5("r1-a");
    Inbox<Mqtt5Publish> aInbox = Inbox.connectAndSubscribe(a, "r1/t", MqttQos.AT_LEAST_ONCE);
    Mqtt5Publish first = aInbox.next();
    assertThat(Inbox.text(first)).isEqualTo("v1");
    assertThat(first.isRetain()).isTrue(); // MQTT-3.3.1-9: sent because of a new subscription

    retain("r1/t", "v2");
    Mqtt5Publish live = aInbox.next(); // the current subscriber gets it as a normal message
    assertThat(Inbox.text(live)).isEqualTo("v2");
    assertThat(live.isRetain()).isFalse();

    Mqtt5BlockingClient b = broker.v5("r1-b");
    Inbox<Mqtt5Publish> bInbox = Inbox.connectAndSubscribe(b, "r1/+", MqttQos.AT_LEAST_ONCE);
    assertThat(receivedUntilFence(b, bInbox, "r1b")).extracting(Inbox::text).containsExactly("v2");
    Mqtt3BlockingClient v3 = broker.v3("r1-v3");
    Inbox<Mqtt3Publish> v3Inbox = Inbox.connectAndSubscribe(v3, "r1/t", MqttQos.AT_LEAST_ONCE);
    Mqtt3Publish v3First = v3Inbox.next();
    assertThat(Inbox.text(v3First)).isEqualTo("v2");
    assertThat(v3First.isRetain()).isTrue();

    // an empty retained payload clears the topic, and still reaches current subscribers
    pub.publishWith().topic("r1/t").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
    assertThat(aInbox.next().getPayloadAsBytes()).isEmpty();
    Mqtt5BlockingClient c = broker.v5("r1-c");
    Inbox<Mqtt5Publish> cInbox = Inbox.connectAndSubscribe(c, "r1/t", MqttQos.AT_LEAST_ONCE);
    c.subscribeWith().topicFilter("r1/#").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(receivedUntilFence(c, cInbox, "r1c")).isEmpty();
    a.disconnect();
    b.disconnect();
    c.disconnect();
    v3.disconnect();
  }

  @Test
  void retainedMessageFromAnMqtt3PublisherReachesAnMqtt5Subscriber() throws Exception {
    Mqtt3BlockingClient p3 = broker.v3("r2-pub3");
    p3.connect();
    p3.publishWith()
        .topic("r2/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload("from3".getBytes())
        .send();
    Mqtt5BlockingClient s = broker.v5("r2-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(s, "r2/t", MqttQos.AT_LEAST_ONCE);
    Mqtt5Publish m = inbox.next();
    assertThat(Inbox.text(m)).isEqualTo("from3");
    assertThat(m.isRetain()).isTrue();
    p3.publishWith().topic("r2/t").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
    p3.disconnect();
    s.disconnect();
  }

  @Test
  void retainedMessageIsSentAtTheLowerOfItsQosAndTheGrantedQos() throws Exception {
    retain("r3/q1", "q1");
    pub.publishWith()
        .topic("r3/q0")
        .qos(MqttQos.AT_MOST_ONCE)
        .retain(true)
        .payload("q0".getBytes())
        .send();
    // a QoS 0 retained publish has no acknowledgement to wait for; the acknowledged one behind it,
    // from the
    // same connection, is stored after it
    retain("r3/sync", "sync");
    Mqtt5BlockingClient s = broker.v5("r3-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(s, "r3/q1", MqttQos.AT_MOST_ONCE);
    s.subscribeWith().topicFilter("r3/q0").qos(MqttQos.AT_LEAST_ONCE).send();
    List<Mqtt5Publish> got = receivedUntilFence(s, inbox, "r3");
    assertThat(got).extracting(Inbox::text).containsExactlyInAnyOrder("q1", "q0");
    assertThat(got).allSatisfy(m -> assertThat(m.getQos()).isEqualTo(MqttQos.AT_MOST_ONCE));
    s.disconnect();
  }

  @Test
  void retainHandlingDecidesWhetherRetainedMessagesAreSentOnSubscribe() throws Exception {
    retain("r4/t", "kept");
    Mqtt5BlockingClient s = broker.v5("r4-sub");
    s.connect();
    Inbox<Mqtt5Publish> inbox = Inbox.of(s);

    // 2: never
    s.subscribeWith()
        .topicFilter("r4/+")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND)
        .send();
    assertThat(receivedUntilFence(s, inbox, "r4a")).isEmpty();

    // 1: only when the subscription is new
    s.subscribeWith()
        .topicFilter("r4/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
        .send();
    assertThat(receivedUntilFence(s, inbox, "r4b")).extracting(Inbox::text).containsExactly("kept");
    s.subscribeWith()
        .topicFilter("r4/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
        .send();
    assertThat(receivedUntilFence(s, inbox, "r4c")).isEmpty();

    // 0: on every subscribe, also when it replaces an existing subscription
    s.subscribeWith()
        .topicFilter("r4/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.SEND)
        .send();
    assertThat(receivedUntilFence(s, inbox, "r4d")).extracting(Inbox::text).containsExactly("kept");
    s.subscribeWith()
        .topicFilter("r4/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.SEND)
        .send();
    assertThat(receivedUntilFence(s, inbox, "r4e")).extracting(Inbox::text).containsExactly("kept");
    s.disconnect();
  }

  @Test
  void expiredRetainedMessageIsNotSent() throws Exception {
    pub.publishWith()
        .topic("r5/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .messageExpiryInterval(1)
        .payload("short".getBytes())
        .send();
    retain("r5/u", "lasting");
    Thread.sleep(2_200); // let the one-second expiry pass
    Mqtt5BlockingClient s = broker.v5("r5-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(s, "r5/+", MqttQos.AT_LEAST_ONCE);
    assertThat(receivedUntilFence(s, inbox, "r5"))
        .extracting(Inbox::text)
        .containsExactly("lasting");
    s.disconnect();
  }

  @Test
  void retainedMessageIsSentWithTheRemainingExpiry() throws Exception {
    pub.publishWith()
        .topic("r6/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .messageExpiryInterval(60)
        .payload("expiring".getBytes())
        .send();
    retain("r6/forever", "forever");
    Thread.sleep(2_100);
    Mqtt5BlockingClient s = broker.v5("r6-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(s, "r6/t", MqttQos.AT_LEAST_ONCE);
    Mqtt5Publish m = inbox.next();
    assertThat(Inbox.text(m)).isEqualTo("expiring");
    assertThat(m.getMessageExpiryInterval()).isPresent();
    assertThat(m.getMessageExpiryInterval().getAsLong()).isBetween(1L, 58L);
    s.subscribeWith().topicFilter("r6/forever").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5Publish f = inbox.next();
    assertThat(Inbox.text(f)).isEqualTo("forever");
    assertThat(f.getMessageExpiryInterval()).isEmpty();
    s.disconnect();
  }

  @Test
  void wildcardSubscribeFindsTheMatchingRetainedMessagesAmongHundreds() throws Exception {
    List<String> topics = new ArrayList<>();
    for (int site = 0; site < 6; site++) {
      for (int dev = 0; dev < 10; dev++) {
        for (String metric : new String[] {"temp", "hum", "co2", "state/on", "state/fw"}) {
          topics.add("r7/site" + site + "/dev" + dev + "/" + metric);
        }
      }
    }
    topics.add("r7/site3");
    topics.add("r7x/site3/dev3/temp");
    topics.add("other/site3/dev3/temp");
    assertThat(topics).hasSizeGreaterThan(300);
    var async = pub.toAsync();
    List<java.util.concurrent.CompletableFuture<?>> sent = new ArrayList<>();
    for (String t : topics) {
      sent.add(
          async
              .publishWith()
              .topic(t)
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .payload(t.getBytes())
              .send());
    }
    java.util.concurrent.CompletableFuture.allOf(
            sent.toArray(new java.util.concurrent.CompletableFuture[0]))
        .get(60, java.util.concurrent.TimeUnit.SECONDS);

    String[] filters = {"r7/site3/#", "r7/+/dev7/+", "r7/+/+/state/+", "r7/site1/dev2/co2", "r7/+"};
    for (String filter : filters) {
      Set<String> expected = new HashSet<>();
      for (String t : topics) {
        if (io.mqttgrid.routing.Topics.matches(filter, t)) {
          expected.add(t);
        }
      }
      Mqtt5BlockingClient s = broker.v5("r7-sub");
      Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(s, filter, MqttQos.AT_LEAST_ONCE);
      List<String> got = new ArrayList<>();
      while (got.size() < expected.size()) {
        Mqtt5Publish m = inbox.next();
        assertThat(m.isRetain()).isTrue();
        assertThat(Inbox.text(m)).isEqualTo(m.getTopic().toString());
        got.add(m.getTopic().toString());
      }
      got.addAll(
          receivedUntilFence(s, inbox, "r7f").stream().map(m -> m.getTopic().toString()).toList());
      assertThat(got)
          .as(filter)
          .hasSameSizeAs(expected)
          .containsExactlyInAnyOrderElementsOf(expected);
      s.disconnect();
    }
  }
}
