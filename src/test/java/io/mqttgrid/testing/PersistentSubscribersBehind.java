package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
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

/**
 * Connected persistent QoS 1 subscribers that fall far behind one QoS 1 publisher (each pauses its
 * client's thread every few messages, at paces of its own) and the check that every message
 * acknowledged to the publisher (0x00) reached each of them once, in publish order, whatever the
 * others did. The subscribers and the publisher may be on different nodes.
 */
public final class PersistentSubscribersBehind {

  private static final String TOPIC = "behind/t";

  private final int messages;
  private final List<String> subscriberIds;
  private final List<List<Integer>> received = new ArrayList<>();
  private final Set<Integer> acknowledged = new HashSet<>();

  public PersistentSubscribersBehind(int messages, List<String> subscriberIds) {
    this.messages = messages;
    this.subscriberIds = List.copyOf(subscriberIds);
  }

  /** Subscribes on {@code subscriberNode}, publishes through {@code publisherNode}, waits. */
  public PersistentSubscribersBehind run(TestBroker subscriberNode, TestBroker publisherNode)
      throws Exception {
    List<Mqtt5AsyncClient> subscribers = new ArrayList<>();
    for (int i = 0; i < subscriberIds.size(); i++) {
      List<Integer> got = new CopyOnWriteArrayList<>();
      received.add(got);
      Mqtt5AsyncClient sub = subscriberNode.v5(subscriberIds.get(i)).toAsync();
      sub.connectWith()
          .cleanStart(true)
          .sessionExpiryInterval(300)
          .send()
          .get(10, TimeUnit.SECONDS);
      int every = 5 + 3 * i; // paces of their own, all slower than the publisher
      sub.subscribeWith()
          .topicFilter(TOPIC)
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
    // in a cluster a SUBACK comes once the other nodes route to the subscription: no wait here
    Mqtt5AsyncClient pub = publisherNode.v5("behind-pub").toAsync();
    pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);

    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>(messages);
    for (int i = 0; i < messages; i++) {
      acks.add(
          pub.publishWith()
              .topic(TOPIC)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(ByteBuffer.allocate(4).putInt(i).array())
              .send());
    }
    for (int i = 0; i < messages; i++) {
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
    try {
      assertThat(acknowledged.size())
          .as("messages acknowledged to the publisher")
          .isGreaterThan(messages / 2);
      for (int i = 0; i < subscriberIds.size(); i++) {
        List<Integer> got = received.get(i);
        String who = "subscriber " + subscriberIds.get(i);
        Await.until(
            who + " got every acknowledged message",
            Duration.ofSeconds(60),
            () -> new HashSet<>(got).containsAll(acknowledged));
        assertThat(got).as("%s: no message twice", who).doesNotHaveDuplicates();
        assertThat(got).as("%s: in publish order", who).isSorted();
      }
    } finally {
      pub.disconnect();
      for (Mqtt5AsyncClient sub : subscribers) {
        sub.disconnect();
      }
    }
    return this;
  }

  private static void pause() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
