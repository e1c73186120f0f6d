package io.mqttgrid.testing;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The messages one HiveMQ client receives, in arrival order. Create it before subscribing so that
 * nothing is missed. Waiting for a sentinel message (published last, on a topic the client
 * subscribed to) proves that nothing else is on its way: the broker delivers one publisher's
 * messages to a session in order.
 */
public final class Inbox<T> {

  public static final long TIMEOUT_SECONDS = 15;

  private final LinkedBlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final java.util.function.Function<T, String> topicOf;

  private Inbox(java.util.function.Function<T, String> topicOf) {
    this.topicOf = topicOf;
  }

  public static Inbox<Mqtt5Publish> of(Mqtt5BlockingClient client) {
    Inbox<Mqtt5Publish> inbox = new Inbox<>(p -> p.getTopic().toString());
    client.toAsync().publishes(MqttGlobalPublishFilter.ALL, inbox.queue::add);
    return inbox;
  }

  public static Inbox<Mqtt3Publish> of(Mqtt3BlockingClient client) {
    Inbox<Mqtt3Publish> inbox = new Inbox<>(p -> p.getTopic().toString());
    client.toAsync().publishes(MqttGlobalPublishFilter.ALL, inbox.queue::add);
    return inbox;
  }

  /**
   * Connects {@code client} (a clean start, no other options), subscribes it to {@code filter} at
   * {@code qos}, and returns what it receives: the inbox is in place before the subscription, so a
   * retained message is not missed. A test about the CONNECT or the SUBSCRIBE itself spells them
   * out instead.
   */
  public static Inbox<Mqtt5Publish> connectAndSubscribe(
      Mqtt5BlockingClient client, String filter, MqttQos qos) {
    Inbox<Mqtt5Publish> inbox = of(client);
    client.connect();
    client.subscribeWith().topicFilter(filter).qos(qos).send();
    return inbox;
  }

  /**
   * {@link #connectAndSubscribe(Mqtt5BlockingClient, String, MqttQos)} for an MQTT 3.1.1 client.
   */
  public static Inbox<Mqtt3Publish> connectAndSubscribe(
      Mqtt3BlockingClient client, String filter, MqttQos qos) {
    Inbox<Mqtt3Publish> inbox = of(client);
    client.connect();
    client.subscribeWith().topicFilter(filter).qos(qos).send();
    return inbox;
  }

  /** The next message; fails after {@link #TIMEOUT_SECONDS}. */
  public T next() throws InterruptedException {
    T m = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no message within " + TIMEOUT_SECONDS + " s");
    }
    return m;
  }

  /**
   * Every message before the first one on {@code sentinelTopic} (which is consumed, not returned).
   */
  public List<T> until(String sentinelTopic) throws InterruptedException {
    List<T> out = new ArrayList<>();
    while (true) {
      T m = next();
      if (topicOf.apply(m).equals(sentinelTopic)) {
        return out;
      }
      out.add(m);
    }
  }

  /** Topics of every message before the sentinel. */
  public List<String> topicsUntil(String sentinelTopic) throws InterruptedException {
    return until(sentinelTopic).stream().map(topicOf).toList();
  }

  /** Whether a message is waiting now, without waiting. */
  public boolean isEmpty() {
    return queue.isEmpty();
  }

  public static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  public static String text(Mqtt3Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }
}
