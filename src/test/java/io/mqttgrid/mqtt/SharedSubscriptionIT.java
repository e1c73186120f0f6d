package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Filter;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Shared subscriptions {@code $share/{group}/{filter}} (MQTT 5 section 4.8.2, spec section 1.9):
 * one member per message, groups independent of each other and of plain subscriptions, redelivery
 * of what a departed member did not acknowledge, and no shared subscriptions for MQTT 3.1.1.
 */
@WithBroker
class SharedSubscriptionIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  static TestBroker broker;

  /**
   * A connected member with its inbox; it also subscribes plainly to {@code end} (the sentinel
   * topic).
   */
  private record Member(Mqtt5BlockingClient client, Inbox<Mqtt5Publish> inbox) {
    List<String> payloadsUntil(String end) throws InterruptedException {
      return inbox.until(end).stream().map(Inbox::text).toList();
    }
  }

  private static Member member(String id, String sharedFilter, String end) {
    Mqtt5BlockingClient c = broker.v5(id);
    Inbox<Mqtt5Publish> inbox = Inbox.connectAndSubscribe(c, sharedFilter, MqttQos.AT_LEAST_ONCE);
    c.subscribeWith().topicFilter(end).qos(MqttQos.AT_LEAST_ONCE).send();
    return new Member(c, inbox);
  }

  private static void publish(String clientId, String topic, int count, String end) {
    Mqtt5BlockingClient pub = broker.v5(clientId);
    pub.connect();
    for (int i = 0; i < count; i++) {
      pub.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(String.valueOf(i).getBytes())
          .send();
    }
    pub.publishWith().topic(end).qos(MqttQos.AT_LEAST_ONCE).send();
    pub.disconnect();
  }

  private static List<String> numbers(int count) {
    return IntStream.range(0, count).mapToObj(String::valueOf).toList();
  }

  @Test
  void eachMessageGoesToExactlyOneMemberOfTheGroup() throws Exception {
    List<Member> members =
        List.of(
            member("sh1-a", "$share/g1/sh1/+", "sh1-end"),
            member("sh1-b", "$share/g1/sh1/+", "sh1-end"),
            member("sh1-c", "$share/g1/sh1/+", "sh1-end"));
    publish("sh1-pub", "sh1/t", 100, "sh1-end");

    List<String> all = new ArrayList<>();
    for (Member m : members) {
      List<String> got = m.payloadsUntil("sh1-end");
      assertThat(got).as("every member gets some").isNotEmpty();
      all.addAll(got);
      m.client().disconnect();
    }
    assertThat(all)
        .hasSize(100)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(numbers(100));
  }

  @Test
  void everyGroupAndEveryPlainSubscriberGetsEachMessage() throws Exception {
    List<Member> g1 =
        List.of(
            member("sh2-g1a", "$share/g1/sh2/#", "sh2-end"),
            member("sh2-g1b", "$share/g1/sh2/#", "sh2-end"));
    List<Member> g2 =
        List.of(
            member("sh2-g2a", "$share/g2/sh2/#", "sh2-end"),
            member("sh2-g2b", "$share/g2/sh2/#", "sh2-end"));
    Member plain = member("sh2-plain", "sh2/#", "sh2-end");
    // one session may hold a shared and a plain subscription to the same filter, and gets both
    Member both = member("sh2-both", "$share/g3/sh2/#", "sh2-end");
    both.client().subscribeWith().topicFilter("sh2/#").qos(MqttQos.AT_LEAST_ONCE).send();
    publish("sh2-pub", "sh2/t", 50, "sh2-end");

    for (List<Member> group : List.of(g1, g2)) {
      List<String> all = new ArrayList<>();
      for (Member m : group) {
        all.addAll(m.payloadsUntil("sh2-end"));
        m.client().disconnect();
      }
      assertThat(all).hasSize(50).containsExactlyInAnyOrderElementsOf(numbers(50));
    }
    assertThat(plain.payloadsUntil("sh2-end")).containsExactlyElementsOf(numbers(50));
    List<String> bothGot = both.payloadsUntil("sh2-end");
    assertThat(bothGot).hasSize(100);
    assertThat(new HashSet<>(bothGot)).containsExactlyInAnyOrderElementsOf(numbers(50));
    plain.client().disconnect();
    both.client().disconnect();
  }

  @Test
  void unacknowledgedMessagesOfADepartedMemberGoToAnotherMember() throws Exception {
    Mqtt5BlockingClient silent = broker.v5("sh3-silent");
    silent.connect();
    List<String> silentGot = new CopyOnWriteArrayList<>();
    // manual acknowledgement, and never acknowledge
    silent
        .toAsync()
        .publishes(MqttGlobalPublishFilter.ALL, p -> silentGot.add(Inbox.text(p)), true);
    silent.subscribeWith().topicFilter("$share/g/sh3/t").qos(MqttQos.AT_LEAST_ONCE).send();
    Member healthy = member("sh3-healthy", "$share/g/sh3/t", "sh3-end");

    publish("sh3-pub", "sh3/t", 20, "sh3-end");
    List<String> healthyGot = new ArrayList<>(healthy.payloadsUntil("sh3-end"));
    Await.until("20 messages delivered", WAIT, () -> healthyGot.size() + silentGot.size() >= 20);
    assertThat(silentGot).as("the silent member got its share").isNotEmpty();
    assertThat(healthyGot.size() + silentGot.size()).isEqualTo(20);

    silent.disconnect();
    Set<String> redelivered = new HashSet<>();
    while (redelivered.size() < silentGot.size()) {
      redelivered.add(Inbox.text(healthy.inbox().next()));
    }
    assertThat(redelivered).containsExactlyInAnyOrderElementsOf(silentGot);
    healthyGot.addAll(redelivered);
    assertThat(healthyGot).containsExactlyInAnyOrderElementsOf(numbers(20));
    healthy.client().disconnect();
  }

  @Test
  void aMemberThatUnsubscribesGetsNoMoreAndTheOthersGetEverything() throws Exception {
    Member leaving = member("sh4-leaving", "$share/g/sh4/t", "sh4-end");
    Member staying = member("sh4-staying", "$share/g/sh4/t", "sh4-end");
    leaving.client().unsubscribeWith().topicFilter("$share/g/sh4/t").send();
    publish("sh4-pub", "sh4/t", 10, "sh4-end");
    assertThat(leaving.payloadsUntil("sh4-end")).isEmpty();
    assertThat(staying.payloadsUntil("sh4-end")).containsExactlyElementsOf(numbers(10));
    leaving.client().disconnect();
    staying.client().disconnect();
  }

  @Test
  void retainedMessagesAreNotSentForANewSharedSubscription() throws Exception {
    Mqtt5BlockingClient pub = broker.v5("sh5-pub");
    pub.connect();
    pub.publishWith()
        .topic("sh5/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload("kept".getBytes())
        .send();
    pub.publishWith()
        .topic("sh5-fence/r")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload("f".getBytes())
        .send();
    Mqtt5BlockingClient s = broker.v5("sh5-sub");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(s, "$share/g/sh5/t", MqttQos.AT_LEAST_ONCE);
    // a plain subscription after it: its retained message comes, and a live one behind that
    s.subscribeWith().topicFilter("sh5-fence/#").qos(MqttQos.AT_LEAST_ONCE).send();
    List<Mqtt5Publish> got = new ArrayList<>(inbox.until("sh5-fence/r"));
    pub.publishWith().topic("sh5-fence/live").qos(MqttQos.AT_LEAST_ONCE).send();
    got.addAll(inbox.until("sh5-fence/live"));
    assertThat(got).isEmpty();
    pub.publishWith().topic("sh5/t").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
    pub.publishWith().topic("sh5-fence/r").qos(MqttQos.AT_LEAST_ONCE).retain(true).send();
    pub.disconnect();
    s.disconnect();
  }

  @Test
  void mqtt3ClientUsingASharedSubscriptionIsDisconnected() throws Exception {
    try (RawMqttClient v3 = RawMqttClient.connected(broker.mqttPort(), 4, new Connect("sh6-v3"))) {
      v3.subscribe(1, null, Filter.of("$share/g/sh6/t", 1));
      // MQTT 3.1.1 has no SUBACK code for it: the connection ends, without a SUBACK
      assertThat(v3.awaitClose(WAIT)).isNull();
    }
    // the same filter from an MQTT 5 client is fine
    try (RawMqttClient v5 = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("sh6-v5"))) {
      v5.subscribe(1, null, Filter.of("$share/g/sh6/t", 1));
      assertThat(v5.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes()).containsExactly(1);
    }
  }

  @Test
  void invalidSharedFiltersAreRefusedAndNoLocalOnASharedSubscriptionIsAProtocolError()
      throws Exception {
    try (RawMqttClient v5 = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("sh7-v5"))) {
      v5.subscribe(
          1,
          null,
          Filter.of("$share/g", 1),
          Filter.of("$share/g+/x", 1),
          Filter.of("$share/g/x/#/y", 1),
          Filter.of("$share/ok/x", 1));
      assertThat(v5.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
          .containsExactly(0x8F, 0x8F, 0x8F, 1);
      // No Local (bit 2) on a shared subscription: MQTT-3.8.3-4
      v5.subscribe(2, null, new Filter("$share/g/y", 1 | 4));
      RawMqttClient.Packet disconnect = v5.awaitClose(WAIT);
      assertThat(disconnect).isNotNull();
      assertThat(disconnect.reasonCode()).isEqualTo(0x82);
    }
  }
}
