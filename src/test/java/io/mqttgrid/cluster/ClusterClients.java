package io.mqttgrid.cluster;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** HiveMQ clients and message collectors shared by the cluster tests. */
final class ClusterClients {

  private ClusterClients() {}

  static Mqtt5AsyncClient v5(int port, String clientId) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(port)
        .buildAsync();
  }

  static Mqtt3AsyncClient v3(int port, String clientId) {
    return MqttClient.builder()
        .useMqttVersion3()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(port)
        .buildAsync();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * The reason code of a QoS 1 PUBACK or QoS 2 PUBREC (0 for QoS 0), whether HiveMQ reports an
   * error reason as the result or as the exception it completes the future with. Other failures are
   * rethrown.
   */
  static int reasonCode(Mqtt5PublishResult result) {
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos2Result r) {
      return r.getPubRec().getReasonCode().getCode();
    }
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos1Result r) {
      return r.getPubAck().getReasonCode().getCode();
    }
    return 0;
  }

  /**
   * {@link #reasonCode(Mqtt5PublishResult)} of a finished publish; -1 when it failed without a
   * reason code.
   */
  static int reasonCode(Mqtt5PublishResult result, Throwable error) {
    Throwable e =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof Mqtt5PubAckException pa) {
      return pa.getMqttMessage().getReasonCode().getCode();
    }
    if (e instanceof Mqtt5PubRecException pr) {
      return pr.getMqttMessage().getReasonCode().getCode();
    }
    if (e != null) {
      return -1;
    }
    return reasonCode(result);
  }

  /** Waits for every publish and returns their reason codes, in order. */
  static List<Integer> reasonCodes(
      List<CompletableFuture<Mqtt5PublishResult>> publishes, long timeoutSeconds) {
    CompletableFuture.allOf(
            publishes.stream().map(f -> f.handle((r, e) -> null)).toArray(CompletableFuture[]::new))
        .orTimeout(timeoutSeconds, TimeUnit.SECONDS)
        .join();
    List<Integer> codes = new ArrayList<>(publishes.size());
    for (CompletableFuture<Mqtt5PublishResult> f : publishes) {
      codes.add(f.handle(ClusterClients::reasonCode).join());
    }
    return codes;
  }

  static boolean await(BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  static long millisSince(long nanoTime) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoTime);
  }

  static void report(String format, Object... args) {
    System.out.printf("[cluster] " + format + "%n", args);
  }

  /** One message as a collector saw it. */
  record Received(String topic, String payload, boolean retain, int qos, long atNanos) {}

  /**
   * Everything one subscriber receives, per topic, in arrival order. Register it before CONNECT (a
   * resumed session sends its queue right after CONNACK).
   */
  static final class Collector {
    final String name;
    private final Map<String, List<Received>> byTopic = new ConcurrentHashMap<>();
    private final List<Received> all = new ArrayList<>();

    Collector(String name) {
      this.name = name;
    }

    static Collector on(Mqtt5AsyncClient client, String name) {
      Collector c = new Collector(name);
      client.publishes(MqttGlobalPublishFilter.ALL, c::add);
      return c;
    }

    static Collector on(Mqtt3AsyncClient client, String name) {
      Collector c = new Collector(name);
      client.publishes(MqttGlobalPublishFilter.ALL, c::add);
      return c;
    }

    void add(Mqtt5Publish p) {
      add(
          new Received(
              p.getTopic().toString(),
              text(p.getPayloadAsBytes()),
              p.isRetain(),
              p.getQos().getCode(),
              System.nanoTime()));
    }

    void add(Mqtt3Publish p) {
      add(
          new Received(
              p.getTopic().toString(),
              text(p.getPayloadAsBytes()),
              p.isRetain(),
              p.getQos().getCode(),
              System.nanoTime()));
    }

    synchronized void add(Received r) {
      byTopic.computeIfAbsent(r.topic(), k -> new ArrayList<>()).add(r);
      all.add(r);
    }

    synchronized List<Received> on(String topic) {
      return List.copyOf(byTopic.getOrDefault(topic, List.of()));
    }

    synchronized int count(String topic) {
      return byTopic.getOrDefault(topic, List.of()).size();
    }

    synchronized List<Received> all() {
      return List.copyOf(all);
    }

    /** The payloads on {@code topic} read as integers, in arrival order. */
    synchronized List<Integer> sequence(String topic) {
      return byTopic.getOrDefault(topic, List.of()).stream()
          .map(r -> Integer.parseInt(r.payload()))
          .toList();
    }

    /** Waits until {@code n} messages arrived on {@code topic}; false after the timeout. */
    boolean awaitCount(String topic, int n, long timeoutMillis) throws InterruptedException {
      return await(() -> count(topic) >= n, timeoutMillis);
    }

    /**
     * Waits until {@code n} messages arrived on {@code topic} or none arrived for {@code
     * quietMillis}; for QoS 0, which may lose messages.
     */
    void awaitCountOrQuiet(String topic, int n, long quietMillis, long timeoutMillis)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      int last = -1;
      long lastChange = System.nanoTime();
      while (System.nanoTime() < deadline) {
        int now = count(topic);
        if (now >= n) {
          return;
        }
        if (now != last) {
          last = now;
          lastChange = System.nanoTime();
        } else if (millisSince(lastChange) > quietMillis) {
          return;
        }
        Thread.sleep(20);
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * Publishes on {@code probeTopic} from {@code publisher} until every collector has one probe:
   * routes reach the other nodes' mirrors through a Hazelcast listener, a moment after SUBACK.
   */
  static void awaitRoutes(Mqtt5AsyncClient publisher, String probeTopic, List<Collector> collectors)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int i = 0;
    while (collectors.stream().anyMatch(c -> c.count(probeTopic) == 0)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "routes for "
                + probeTopic
                + " did not reach the publisher's node within 20 s; "
                + "subscribers without a probe: "
                + collectors.stream().filter(c -> c.count(probeTopic) == 0).toList());
      }
      publisher
          .publishWith()
          .topic(probeTopic)
          .qos(MqttQos.AT_MOST_ONCE)
          .payload(bytes("probe " + i++))
          .send();
      Thread.sleep(100);
    }
  }
}
