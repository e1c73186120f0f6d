package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Several QoS 1 publishers feeding one clean QoS 1 subscriber that is slower than they are (it
 * acknowledges what arrived every 5 ms, ten in flight) but keeps reading, and the check that every
 * message the publishers were acknowledged for arrived, in each publisher's order. The subscriber
 * and the publishers may be on different nodes.
 */
public final class SlowSubscriberFanIn {

  /**
   * The broker's settings for a run: bounds small enough that a few thousand messages are far
   * beyond them. 1,000 messages waiting for the subscriber; each publisher at most 50
   * unacknowledged; an acknowledgement held up to 10 s, not 1: on a loaded machine the subscriber's
   * pace (ten every 5 ms) can fall so far that a held one waits past 1 s, and is then answered and
   * its message dropped, as documented (a full run: 541 refused).
   */
  public static final Map<String, String> SMALL_SESSION_BOUNDS =
      Map.of(
          "session.max-pending-messages",
          "1000",
          "limits.receive-maximum",
          "50",
          "session.hold-acks-max-millis",
          "10000");

  private static final String PROBE_TOPIC = "fan/probe";

  private final int publishers;
  private final int each;
  private final AtomicInteger refused = new AtomicInteger();

  /**
   * Why publishes were refused (a PUBACK's error, or the client's exception), with their counts.
   */
  private final Map<String, Integer> refusals = new ConcurrentHashMap<>();

  private final List<int[]> got = new CopyOnWriteArrayList<>();

  public SlowSubscriberFanIn(int publishers, int each) {
    this.publishers = publishers;
    this.each = each;
  }

  /** Subscribes on {@code subscriberNode}, publishes through {@code publisherNode}, waits. */
  public SlowSubscriberFanIn run(TestBroker subscriberNode, TestBroker publisherNode)
      throws Exception {
    ConcurrentLinkedQueue<Mqtt5Publish> unacknowledged = new ConcurrentLinkedQueue<>();
    Mqtt5AsyncClient sub = subscriberNode.v5("fan-sub").toAsync();
    // ten in flight, acknowledged every 5 ms: at most ~2,000 messages a second, far below what the
    // publishers send
    sub.connectWith()
        .restrictions()
        .receiveMaximum(10)
        .applyRestrictions()
        .send()
        .get(10, TimeUnit.SECONDS);
    sub.subscribeWith()
        .topicFilter("fan/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(
            p -> {
              if (!p.getTopic().toString().equals(PROBE_TOPIC)) {
                ByteBuffer b = ByteBuffer.wrap(p.getPayloadAsBytes());
                got.add(new int[] {b.getInt(), b.getInt()});
              }
              unacknowledged.add(p);
            })
        .manualAcknowledgement(true)
        .send()
        .get(10, TimeUnit.SECONDS);
    AtomicBoolean acking = new AtomicBoolean(true);
    Thread acker =
        new Thread(
            () -> {
              while (acking.get()) {
                Mqtt5Publish p;
                while ((p = unacknowledged.poll()) != null) {
                  p.acknowledge();
                }
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    acker.start();

    List<Mqtt5AsyncClient> pubs = new ArrayList<>();
    for (int i = 0; i < publishers; i++) {
      Mqtt5AsyncClient pub = publisherNode.v5("fan-pub-" + i).toAsync();
      pub.connect().get(10, TimeUnit.SECONDS);
      pubs.add(pub);
    }
    // on another node the subscription routes there a moment after its SUBACK
    Await.until(
        "the subscription routed from the publishers' node",
        Duration.ofSeconds(20),
        () ->
            ((Mqtt5PublishResult.Mqtt5Qos1Result)
                        pubs.get(0)
                            .publishWith()
                            .topic(PROBE_TOPIC)
                            .qos(MqttQos.AT_LEAST_ONCE)
                            .send()
                            .get(10, TimeUnit.SECONDS))
                    .getPubAck()
                    .getReasonCode()
                != Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS);
    List<CompletableFuture<?>> sent = new ArrayList<>();
    for (int n = 0; n < each; n++) {
      for (int i = 0; i < publishers; i++) {
        byte[] payload = ByteBuffer.allocate(8).putInt(i).putInt(n).array();
        sent.add(
            pubs.get(i)
                .publishWith()
                .topic("fan/" + i)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload)
                .send()
                .whenComplete(
                    (r, e) -> {
                      if (e != null || r.getError().isPresent()) {
                        refused.incrementAndGet();
                        refusals.merge(why(e != null ? e : r.getError().get()), 1, Integer::sum);
                      }
                    }));
      }
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
        .handle((r, e) -> null)
        .get(60, TimeUnit.SECONDS);

    // everything the publishers were acknowledged for arrives; wait while it still does
    int last = -1;
    long quietSince = System.nanoTime();
    while (got.size() < publishers * each
        && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(5)) {
      if (got.size() != last) {
        last = got.size();
        quietSince = System.nanoTime();
      }
      Thread.sleep(20);
    }
    acking.set(false);
    acker.join();
    for (Mqtt5AsyncClient pub : pubs) {
      pub.disconnect().get(10, TimeUnit.SECONDS);
    }
    sub.disconnect().get(10, TimeUnit.SECONDS);
    return this;
  }

  /** A refused publish's reason: the PUBACK's reason code where there was one. */
  private static String why(Throwable t) {
    return t instanceof Mqtt5PubAckException refused
        ? "PUBACK " + refused.getMqttMessage().getReasonCode()
        : t.toString();
  }

  /** None refused, all arrived, each publisher's in its order. */
  public void assertNothingLost() {
    assertThat(refused.get()).as("publishes refused: %s", refusals).isZero();
    assertThat(got).as("messages the subscriber got").hasSize(publishers * each);
    for (int i = 0; i < publishers; i++) {
      int publisher = i;
      List<Integer> order = got.stream().filter(m -> m[0] == publisher).map(m -> m[1]).toList();
      assertThat(order)
          .as("publisher %d's messages, in its order", i)
          .containsExactlyElementsOf(IntStream.range(0, each).boxed().toList());
    }
  }
}
