package io.mqttgrid.bridge;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stream of QoS 1 messages, published asynchronously with a window of unacknowledged ones (so
 * that thousands go through in seconds), and the subscriber at the other end that counts what
 * arrives. A message counts as acknowledged only on a PUBACK with a success reason code.
 */
final class QosOneStream {

  private QosOneStream() {}

  /** An MQTT 5 async client of the broker at host:port. */
  static Mqtt5AsyncClient client(String host, int port, String clientId) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .serverHost(host)
        .serverPort(port)
        .buildAsync();
  }

  /** What a subscriber received: each payload once, and the number of deliveries. */
  static final class Received {
    final Set<String> payloads = ConcurrentHashMap.newKeySet();
    final AtomicLong deliveries = new AtomicLong();

    /**
     * Connects {@code client} with a persistent session (so that a reconnect would lose nothing)
     * and subscribes it to {@code filter} at QoS 1.
     */
    static Received subscribe(Mqtt5AsyncClient client, String filter) throws Exception {
      Received r = new Received();
      client
          .connectWith()
          .cleanStart(false)
          .sessionExpiryInterval(600)
          .send()
          .get(10, TimeUnit.SECONDS);
      client
          .subscribeWith()
          .topicFilter(filter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .callback(
              p -> {
                r.deliveries.incrementAndGet();
                r.payloads.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
              })
          .send()
          .get(10, TimeUnit.SECONDS);
      return r;
    }

    /** Every acknowledged message arrives (duplicates allowed: at least once). */
    void awaitAll(Set<String> acknowledged, String flow) {
      try {
        Await.until(
            flow + ": every acknowledged message at the subscriber",
            Duration.ofSeconds(60),
            () -> payloads.containsAll(acknowledged));
      } catch (AssertionError e) {
        Set<String> missing = new HashSet<>(acknowledged);
        missing.removeAll(payloads);
        throw new AssertionError(
            flow
                + ": "
                + missing.size()
                + " acknowledged messages lost, e.g. "
                + missing.stream().limit(10).toList(),
            e);
      }
    }
  }

  /**
   * Publishes {@code count} messages {@code prefix + i} on {@code topic} with QoS 1, at most {@code
   * window} unacknowledged, and runs {@code midway} on a thread of its own once {@code at} are
   * acknowledged. Returns the payloads acknowledged with success, once every publish has an answer
   * (or {@code timeout} passed).
   */
  static Set<String> publish(
      Mqtt5AsyncClient client,
      String topic,
      String prefix,
      int count,
      int window,
      int at,
      Runnable midway,
      Duration timeout)
      throws InterruptedException {
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger answered = new AtomicInteger();
    Map<String, Integer> refusals = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(window);
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < count; i++) {
      if (!inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      String payload = prefix + i;
      client
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(payload.getBytes(StandardCharsets.UTF_8))
          .send()
          .whenComplete(
              (result, error) -> {
                String refusal = refusal(result, error);
                if (refusal == null) {
                  acknowledged.add(payload);
                  if (acknowledged.size() == at) {
                    new Thread(midway, "stream-midway").start();
                  }
                } else {
                  refusals.merge(refusal, 1, Integer::sum);
                }
                answered.incrementAndGet();
                inFlight.release();
              });
    }
    inFlight.tryAcquire(window, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!refusals.isEmpty()) {
      System.out.printf("%s: not acknowledged with success: %s%n", topic, refusals);
    }
    return acknowledged;
  }

  /**
   * Why a publish was not acknowledged with success (a PUBACK reason, an error); null if it was.
   */
  private static String refusal(Mqtt5PublishResult result, Throwable error) {
    Throwable e = error != null ? error : result.getError().orElse(null);
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e != null) {
      return e instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException p
          ? "PUBACK " + p.getMqttMessage().getReasonCode().name()
          : e.getClass().getSimpleName();
    }
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos1Result q
        && q.getPubAck().getReasonCode().isError()) {
      return "PUBACK " + q.getPubAck().getReasonCode().name();
    }
    return null;
  }
}
