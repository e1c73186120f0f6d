package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.TestBroker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A subscriber that stops reading its socket must not make the node hold more than the {@code
 * session.*} bounds for its connection, on any path (QoS 1/2 waiting, in flight, the socket's write
 * queue, QoS 0); what does not fit is dropped and counted, and a subscriber that keeps up on the
 * same topics loses nothing.
 */
class SlowSubscriberIT {

  private static final long PENDING_BYTES = 2L << 20;
  private static final long INFLIGHT_BYTES = 1L << 20;
  private static final long SOCKET_BYTES = 1L << 20;
  private static final int PAYLOAD = 300_000;

  /** A connected persistent session's stored queue, in the test of one: 13 of the messages. */
  private static final long STORED_BYTES = 4L << 20;

  /**
   * 24 MB to each subscriber: far beyond the bounds plus what the kernel's socket buffers can take.
   */
  private static final int MESSAGES = 80;

  private static Map<String, String> smallBounds(String overflow) {
    return Map.of(
        "session.max-pending-bytes",
        String.valueOf(PENDING_BYTES),
        "session.max-inflight-bytes",
        String.valueOf(INFLIGHT_BYTES),
        "session.max-outbound-buffered-bytes",
        String.valueOf(SOCKET_BYTES),
        "session.overflow",
        overflow);
  }

  @Test
  @SuppressWarnings("try") // the stalled subscriber is there to be connected, not to be used
  void aSubscriberThatStopsReadingIsHeldToTheBoundsAndOneThatReadsGetsEverything()
      throws Exception {
    try (TestBroker broker = TestBroker.start(smallBounds("drop-new"));
        RawMqttClient slow = stalledSubscriber(broker, "slow")) {
      Session slowSession = broker.broker().sessions().local("slow");
      assertThat(slowSession).isNotNull();

      List<Integer> fastGot = new CopyOnWriteArrayList<>();
      Mqtt5AsyncClient fast = broker.v5("fast").toAsync();
      fast.connect().get(10, TimeUnit.SECONDS);
      fast.subscribeWith()
          .topicFilter("slow/#")
          .qos(MqttQos.AT_LEAST_ONCE)
          .callback(
              p ->
                  fastGot.add(
                      p.getPayloadAsBytes().length == PAYLOAD
                          ? ByteBuffer.wrap(p.getPayloadAsBytes()).getInt()
                          : -1))
          .send()
          .get(10, TimeUnit.SECONDS);

      long[] most = new long[4];
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler =
          new Thread(
              () -> {
                while (sampling.get()) {
                  Session.OutboundBytes held = held(slowSession);
                  most[0] = Math.max(most[0], held.waiting());
                  most[1] = Math.max(most[1], held.inflight());
                  most[2] = Math.max(most[2], held.socket());
                  most[3] = Math.max(most[3], held.total());
                  try {
                    Thread.sleep(2);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.start();

      Mqtt5BlockingClient pub = broker.v5("pub");
      pub.connect();
      for (int i = 0; i < MESSAGES; i++) {
        byte[] payload = new byte[PAYLOAD];
        ByteBuffer.wrap(payload).putInt(i);
        // the stalled subscriber gets QoS 1 on one topic and QoS 0 on the other; the reading one
        // QoS 1 on both
        pub.publishWith()
            .topic(i % 2 == 0 ? "slow/q1" : "slow/q0")
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload)
            .send();
        if (i % 2 == 1) {
          // a reader that keeps up: the publisher does not run more than two messages ahead of it
          int expected = i + 1;
          await(
              () -> fastGot.size() >= expected,
              "the reading subscriber got " + expected + " messages");
        }
      }
      pub.disconnect();
      sampling.set(false);
      sampler.join();
      Session.OutboundBytes atEnd = held(slowSession);
      most[3] = Math.max(most[3], atEnd.total());

      assertThat(fastGot)
          .as("what the reading subscriber got, in order")
          .containsExactlyElementsOf(
              java.util.stream.IntStream.range(0, MESSAGES).boxed().toList());
      assertThat(most[0])
          .as("bytes waiting for the stalled subscriber")
          .isLessThanOrEqualTo(PENDING_BYTES);
      assertThat(most[1]).as("bytes in flight to it").isLessThanOrEqualTo(INFLIGHT_BYTES);
      assertThat(most[2]).as("bytes in its socket's write queue").isLessThanOrEqualTo(SOCKET_BYTES);
      assertThat(most[3])
          .as("bytes held for it")
          .isLessThanOrEqualTo(PENDING_BYTES + INFLIGHT_BYTES + SOCKET_BYTES);
      assertThat(atEnd.total()).as("it is held to its bounds, not emptied").isPositive();

      String metrics = scrape(broker);
      assertThat(value(metrics, "mqttgrid_messages_dropped_total", "reason=\"queue-full\""))
          .as("QoS 1 messages dropped for the stalled subscriber")
          .isPositive();
      assertThat(value(metrics, "mqttgrid_messages_dropped_total", "reason=\"slow-subscriber\""))
          .as("QoS 0 messages dropped for the stalled subscriber")
          .isPositive();
      // once the reading subscriber has acknowledged everything, what the node holds is the stalled
      // one's
      await(
          () -> gauges(broker) == held(slowSession).total(),
          "mqttgrid_outbound_buffered_bytes shows what is held for the stalled subscriber");
      fast.disconnect().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void underTerminateSessionTheStalledSubscribersSessionIsEnded() throws Exception {
    try (TestBroker broker = TestBroker.start(smallBounds("terminate-session"));
        RawMqttClient slow = stalledSubscriber(broker, "stalled")) {
      Mqtt5BlockingClient pub = broker.v5("pub");
      pub.connect();
      for (int i = 0; i < MESSAGES && broker.broker().sessions().local("stalled") != null; i++) {
        try {
          pub.publishWith()
              .topic("slow/q1")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(new byte[PAYLOAD])
              .send();
        } catch (Mqtt5PubAckException e) {
          // the session was behind, so this publisher's acknowledgement waited for the message;
          // the message that broke the bound is refused to it, not acknowledged and dropped
          assertThat(e.getMqttMessage().getReasonCode())
              .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
        }
      }
      pub.disconnect();
      await(() -> broker.broker().sessions().local("stalled") == null, "the stalled session ended");
      assertThat(slow.readUntilClosed(Duration.ofSeconds(10)))
          .as("what it had been sent before the end")
          .isNotEmpty();
      assertThat(
              value(
                  scrape(broker), "mqtt_dropped_sessions_total", "DropReason=\"SessionOverflow\""))
          .isEqualTo(1);
    }
  }

  @Test
  @SuppressWarnings("try") // the stalled subscriber is there to be connected, not to be used
  void aPersistentSessionKeepsItsQueueInTheStoreAndOnlyTheBoundsInMemory() throws Exception {
    Map<String, String> config = new java.util.HashMap<>(smallBounds("drop-new"));
    // the stored queue's own bound: more than the pending stage holds, less than is published
    config.put("session.max-queued-connected-bytes", String.valueOf(STORED_BYTES));
    try (TestBroker broker = TestBroker.start(config);
        RawMqttClient slow =
            stalledSubscriber(
                broker,
                new Connect("durable")
                    .keepAlive(0)
                    .cleanStart(false)
                    .properties(
                        new RawMqttClient.Props().u32(RawMqttClient.PROP_SESSION_EXPIRY, 300)))) {
      Session session = broker.broker().sessions().local("durable");
      assertThat(session.persistent()).isTrue();
      Mqtt5BlockingClient pub = broker.v5("pub");
      pub.connect();
      long most = 0;
      int refused = 0;
      for (int i = 0; i < MESSAGES / 2; i++) {
        try {
          pub.publishWith()
              .topic("slow/q1")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(new byte[PAYLOAD])
              .send();
        } catch (Mqtt5PubAckException e) {
          // its only subscriber could not keep it: the publisher is told, not silently dropped
          assertThat(e.getMqttMessage().getReasonCode())
              .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
          refused++;
        }
        most = Math.max(most, held(session).total());
      }
      pub.disconnect();
      Session.OutboundBytes atEnd = held(session);
      assertThat(atEnd.waiting()).isLessThanOrEqualTo(PENDING_BYTES);
      assertThat(atEnd.inflight()).isLessThanOrEqualTo(INFLIGHT_BYTES);
      assertThat(atEnd.socket()).isLessThanOrEqualTo(SOCKET_BYTES);
      assertThat(Math.max(most, atEnd.total()))
          .isLessThanOrEqualTo(PENDING_BYTES + INFLIGHT_BYTES + SOCKET_BYTES);
      assertThat(refused).as("refused past the stored queue's bound").isPositive();
      assertThat(value(scrape(broker), "mqttgrid_messages_dropped_total", "reason=\"queue-full\""))
          .isEqualTo(refused);
      SessionQueue stored =
          (SessionQueue)
              broker
                  .broker()
                  .hazelcast()
                  .getMap(io.mqttgrid.hazelcast.HazelcastSessionStore.QUEUES)
                  .get("durable");
      assertThat(stored.entries())
          .as("every message acknowledged to the publisher is in the session's stored queue")
          .hasSize(MESSAGES / 2 - refused);
      assertThat((long) stored.entries().size() * PAYLOAD)
          .as("the store keeps more than the pending stage")
          .isGreaterThan(PENDING_BYTES);
    }
  }

  /**
   * A raw MQTT 5 client with a 4 KB receive buffer, subscribed to slow/q1 at QoS 1 and slow/q0 at
   * QoS 0, that reads nothing after its SUBACKs.
   */
  private static RawMqttClient stalledSubscriber(TestBroker broker, String clientId) {
    return stalledSubscriber(broker, new Connect(clientId).keepAlive(0));
  }

  private static RawMqttClient stalledSubscriber(TestBroker broker, Connect connect) {
    RawMqttClient c = RawMqttClient.open("127.0.0.1", broker.mqttPort(), 5, 4096);
    c.send(connect.encode(5));
    Packet connack = c.read(Duration.ofSeconds(10));
    assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
    assertThat(connack.reasonCode()).isZero();
    c.send(Packets.subscribe(5, 1, "slow/q1", 1));
    assertThat(c.read(Duration.ofSeconds(10)).reasonCode()).isEqualTo(1);
    c.send(Packets.subscribe(5, 2, "slow/q0", 0));
    assertThat(c.read(Duration.ofSeconds(10)).reasonCode()).isZero();
    return c;
  }

  /** What the session holds, read on its own context. */
  private static Session.OutboundBytes held(Session session) {
    CompletableFuture<Session.OutboundBytes> f = new CompletableFuture<>();
    session.onContext(() -> f.complete(session.outboundBytes()));
    return f.join();
  }

  private static long gauges(TestBroker broker) {
    try {
      String metrics = scrape(broker);
      return Math.round(
          value(metrics, "mqttgrid_outbound_buffered_bytes", "stage=\"waiting\"")
              + value(metrics, "mqttgrid_outbound_buffered_bytes", "stage=\"inflight\"")
              + value(metrics, "mqttgrid_outbound_buffered_bytes", "stage=\"socket\""));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String scrape(TestBroker broker) throws Exception {
    return broker.scrapeMetrics();
  }

  private static double value(String metrics, String name, String label) {
    return TestBroker.metricValue(metrics, name, label);
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) {
    Await.until(what, Duration.ofSeconds(20), condition::getAsBoolean);
  }
}
