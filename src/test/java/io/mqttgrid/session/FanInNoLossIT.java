package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Four publishers feeding one clean QoS 1 subscriber that is slower than they are (it acknowledges
 * every few milliseconds, with a small in-flight window) but keeps reading: every message the
 * publishers were acknowledged for arrives, in each publisher's order. Before, the publishers were
 * acknowledged at once and the subscriber's session dropped what did not fit {@code
 * session.max-pending-messages} (issue 15, the fan-in cell); now the session, once behind, answers
 * the publishers when their messages are sent, which their Receive Maximum turns into a pace.
 */
class FanInNoLossIT {

  private static final int PUBLISHERS = 4;
  private static final int EACH = 1_000;

  @Test
  void fourPublishersOneSlowerSubscriberAtQos1LoseNothing() throws Exception {
    // small bounds, so that a few thousand messages are far beyond them: 1,000 waiting for the
    // subscriber (100 in flight, the default); each publisher at most 50 unacknowledged
    Map<String, String> bounds =
        Map.of("session.max-pending-messages", "1000", "limits.receive-maximum", "50");
    try (TestBroker broker = TestBroker.start(bounds)) {
      ConcurrentLinkedQueue<Mqtt5Publish> unacknowledged = new ConcurrentLinkedQueue<>();
      List<int[]> got = new CopyOnWriteArrayList<>();
      Mqtt5AsyncClient sub = broker.v5("fan-sub").toAsync();
      sub.connect().get(10, TimeUnit.SECONDS);
      sub.subscribeWith()
          .topicFilter("fan/#")
          .qos(MqttQos.AT_LEAST_ONCE)
          .callback(
              p -> {
                ByteBuffer b = ByteBuffer.wrap(p.getPayloadAsBytes());
                got.add(new int[] {b.getInt(), b.getInt()});
                unacknowledged.add(p);
              })
          .manualAcknowledgement(true)
          .send()
          .get(10, TimeUnit.SECONDS);
      // the subscriber's pace: what arrived is acknowledged every 5 ms
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
      for (int i = 0; i < PUBLISHERS; i++) {
        Mqtt5AsyncClient pub = broker.v5("fan-pub-" + i).toAsync();
        pub.connect().get(10, TimeUnit.SECONDS);
        pubs.add(pub);
      }
      AtomicInteger refused = new AtomicInteger();
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int n = 0; n < EACH; n++) {
        for (int i = 0; i < PUBLISHERS; i++) {
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
      while (got.size() < PUBLISHERS * EACH
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

      assertThat(refused.get()).as("publishes refused").isZero();
      assertThat(got).as("messages the subscriber got").hasSize(PUBLISHERS * EACH);
      for (int i = 0; i < PUBLISHERS; i++) {
        int publisher = i;
        List<Integer> order = got.stream().filter(m -> m[0] == publisher).map(m -> m[1]).toList();
        assertThat(order)
            .as("publisher %d's messages, in its order", i)
            .containsExactlyElementsOf(java.util.stream.IntStream.range(0, EACH).boxed().toList());
      }
    }
  }
}
