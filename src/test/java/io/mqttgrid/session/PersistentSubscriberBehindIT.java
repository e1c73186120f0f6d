package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two connected persistent subscribers that fall behind one QoS 1 publisher by far more than {@code
 * session.max-pending-messages}: a message acknowledged to the publisher (0x00) is stored in both
 * sessions, so each must get it, in publish order, whatever the other one did. Before, a session
 * whose pending queue was full dropped the message (queue-full) while the publisher was told it was
 * accepted because the other session had kept it: each subscriber lost about a third of them in
 * PersistentSubscriberAckIT.
 */
@WithBroker({"session.max-pending-messages=50"})
class PersistentSubscriberBehindIT {

  static TestBroker broker;

  private static final int MESSAGES = 10_000;
  private static final int SUBSCRIBERS = 2;

  @Test
  void everyMessageAcknowledgedToThePublisherReachesEachPersistentSubscriberInOrder()
      throws Exception {
    List<List<Integer>> received = new ArrayList<>();
    List<Mqtt5AsyncClient> subscribers = new ArrayList<>();
    for (int i = 0; i < SUBSCRIBERS; i++) {
      List<Integer> got = new CopyOnWriteArrayList<>();
      received.add(got);
      Mqtt5AsyncClient sub = client("behind-sub-" + i);
      sub.connectWith()
          .cleanStart(true)
          .sessionExpiryInterval(300)
          .send()
          .get(10, TimeUnit.SECONDS);
      int every = 5 + 3 * i; // two different paces, both slower than the publisher
      sub.subscribeWith()
          .topicFilter("behind/t")
          .qos(MqttQos.AT_LEAST_ONCE)
          .callback(
              p -> {
                got.add(ByteBuffer.wrap(p.getPayloadAsBytes()).getInt());
                if (got.size() % every == 0) {
                  pause(); // the client acknowledges after this callback: it falls behind
                }
              })
          .send()
          .get(10, TimeUnit.SECONDS);
      subscribers.add(sub);
    }
    Mqtt5AsyncClient pub = client("behind-pub");
    pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);

    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      acks.add(
          pub.publishWith()
              .topic("behind/t")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(ByteBuffer.allocate(4).putInt(i).array())
              .send());
    }
    Set<Integer> acknowledged = new HashSet<>();
    for (int i = 0; i < MESSAGES; i++) {
      try {
        acks.get(i).get(60, TimeUnit.SECONDS);
        acknowledged.add(i);
      } catch (ExecutionException e) {
        // refused: no session could keep it (the store's own bound); never another answer
        assertThat(e.getCause())
            .isInstanceOfSatisfying(
                Mqtt5PubAckException.class,
                r ->
                    assertThat(r.getMqttMessage().getReasonCode())
                        .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED));
      }
    }
    assertThat(acknowledged).isNotEmpty();

    for (int i = 0; i < SUBSCRIBERS; i++) {
      List<Integer> got = received.get(i);
      String who = "subscriber " + i;
      Await.until(
          who + " got every acknowledged message",
          Duration.ofSeconds(60),
          () -> new HashSet<>(got).containsAll(acknowledged));
      assertThat(got).as("%s: no message twice", who).doesNotHaveDuplicates();
      assertThat(got).as("%s: in publish order", who).isSorted();
    }
    assertThat(
            TestBroker.metricValue(
                broker.scrapeMetrics(), "mqttgrid_messages_dropped_total", "reason=\"queue-full\""))
        .as("messages dropped for a full queue")
        .isZero();
    pub.disconnect().get(10, TimeUnit.SECONDS);
    for (Mqtt5AsyncClient sub : subscribers) {
      sub.disconnect().get(10, TimeUnit.SECONDS);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Mqtt5AsyncClient client(String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(broker.mqttPort())
        .buildAsync();
  }
}
