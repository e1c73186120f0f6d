package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connect storm and a connection-scale probe in one: N MQTT 5 clients connect (and, unless
 * {@code --subscribe false}, subscribe to one topic filter each) as fast as the broker answers, with at most
 * {@code --concurrency} connects under way at once; then they stay connected and idle until the file given by
 * {@code --release} exists (or {@code --hold} seconds pass), so a script can measure the broker's memory with N
 * idle connections; then they disconnect.
 *
 * <pre>mvn -q -f load-tests/pom.xml compile exec:java -Dexec.mainClass=io.mqttgrid.load.ConnectStorm \
 *   -Dexec.args="--port 1883 --clients 2000 --concurrency 100 --broker-pid 1234"</pre>
 *
 * <p>It prints connects/s (first CONNECT sent to last SUBACK), CONNACK and SUBACK latency percentiles, the
 * failures, and, with {@code --broker-pid}, the broker's CPU time (user + system from /proc) per connect and its
 * RSS before and after. A closed workload: the rate is what the broker and this machine manage, not an offered
 * rate. Gatling's open workload ({@code MqttConnectStormSimulation}) is the other half: latency at a given rate.
 */
public final class ConnectStorm {

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (Exception e) {
      System.err.println("failed: " + e);
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 1883;
    int clients = 2000;
    int concurrency = 100;
    boolean subscribe = true;
    long sessionExpiry = 0;
    long brokerPid = 0;
    String prefix = "storm-" + Long.toHexString(System.nanoTime());
    Path release = null;
    int holdSeconds = 0;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[i + 1]);
        case "--subscribe" -> subscribe = Boolean.parseBoolean(args[i + 1]);
        case "--session-expiry" -> sessionExpiry = Long.parseLong(args[i + 1]);
        case "--broker-pid" -> brokerPid = Long.parseLong(args[i + 1]);
        case "--prefix" -> prefix = args[i + 1];
        case "--release" -> release = Path.of(args[i + 1]);
        case "--hold" -> holdSeconds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    long ticksPerSecond = 100; // USER_HZ on Linux; /proc/<pid>/stat counts in it

    Mqtt5AsyncClient[] connected = new Mqtt5AsyncClient[clients];
    long[] connackNanos = new long[clients];
    long[] subackNanos = new long[clients];
    Arrays.fill(connackNanos, -1);
    Arrays.fill(subackNanos, -1);
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger failed = new AtomicInteger();
    Semaphore underWay = new Semaphore(concurrency);

    long cpuBefore = cpuTicks(brokerPid);
    long jitBefore = jitTicks(brokerPid);
    long rssBefore = rssKb(brokerPid);
    long start = System.nanoTime();
    for (int i = 0; i < clients; i++) {
      underWay.acquire();
      int n = i;
      Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().serverHost(host).serverPort(port)
          .identifier(prefix + "-" + n).buildAsync();
      long sent = System.nanoTime();
      boolean sub = subscribe;
      client.connectWith().cleanStart(sessionExpiry == 0).sessionExpiryInterval(sessionExpiry).keepAlive(600)
          .send()
          .thenCompose(connack -> {
            connackNanos[n] = System.nanoTime() - sent;
            connected[n] = client;
            if (!sub) {
              return CompletableFuture.completedFuture(null);
            }
            long subscribing = System.nanoTime();
            return client.subscribeWith().topicFilter("storm/" + n + "/cmd").qos(MqttQos.AT_LEAST_ONCE).send()
                .thenAccept(suback -> subackNanos[n] = System.nanoTime() - subscribing);
          })
          .whenComplete((ignored, error) -> {
            if (error != null) {
              failed.incrementAndGet();
              if (failures.size() < 5) {
                failures.add(String.valueOf(error));
              }
            }
            underWay.release();
          });
    }
    underWay.acquire(concurrency); // every connect has ended, one way or the other
    long end = System.nanoTime();
    long cpuAfter = cpuTicks(brokerPid);
    long jitAfter = jitTicks(brokerPid);
    underWay.release(concurrency);

    double seconds = (end - start) / 1e9;
    int ok = clients - failed.get();
    System.out.printf(Locale.ROOT, "clients %d concurrency %d subscribe %s session-expiry %d: %d connected, %d failed "
            + "in %.2f s = %.0f connects/s%n", clients, concurrency, subscribe, sessionExpiry, ok, failed.get(),
        seconds, ok / seconds);
    System.out.println("CONNACK ms " + percentiles(connackNanos));
    if (subscribe) {
      System.out.println("SUBACK ms " + percentiles(subackNanos));
    }
    if (brokerPid > 0) {
      double cpuMs = (cpuAfter - cpuBefore) * 1000.0 / ticksPerSecond;
      double jitMs = (jitAfter - jitBefore) * 1000.0 / ticksPerSecond;
      System.out.printf(Locale.ROOT, "broker CPU %.0f ms = %.3f ms per connect%s; without the JIT compilers %.3f ms%n",
          cpuMs, cpuMs / Math.max(ok, 1), subscribe ? " (with its subscribe)" : "", (cpuMs - jitMs) / Math.max(ok, 1));
    }
    failures.forEach(f -> System.out.println("failure: " + f));

    // idle: the caller measures the broker now
    long rssHeld = rssKb(brokerPid);
    if (brokerPid > 0) {
      System.out.printf(Locale.ROOT, "broker RSS %d KiB before, %d KiB with %d connections (%.1f KiB each, no GC "
          + "forced)%n", rssBefore, rssHeld, ok, (rssHeld - rssBefore) / (double) Math.max(ok, 1));
    }
    System.out.println("holding " + ok + " connections");
    System.out.flush();
    long holdUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(holdSeconds);
    while (release != null ? !Files.exists(release) : System.nanoTime() < holdUntil) {
      Thread.sleep(200);
    }

    List<CompletableFuture<Void>> disconnects = new ArrayList<>();
    for (Mqtt5AsyncClient client : connected) {
      if (client != null) {
        disconnects.add(client.disconnect().exceptionally(e -> null));
      }
    }
    CompletableFuture.allOf(disconnects.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    System.out.println("disconnected");
    return failed.get() == 0 ? 0 : 1;
  }

  private static String percentiles(long[] nanos) {
    long[] done = Arrays.stream(nanos).filter(t -> t >= 0).sorted().toArray();
    if (done.length == 0) {
      return "none";
    }
    return String.format(Locale.ROOT, "p50 %.1f p90 %.1f p99 %.1f max %.1f (%d)", at(done, 0.50), at(done, 0.90),
        at(done, 0.99), done[done.length - 1] / 1e6, done.length);
  }

  static double at(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }

  /** User + system time of a process, in clock ticks; 0 without a pid. */
  static long cpuTicks(long pid) throws IOException {
    if (pid <= 0) {
      return 0;
    }
    return userAndSystemTicks(Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII));
  }

  /** utime + stime of a process's or a thread's {@code stat} line. */
  private static long userAndSystemTicks(String stat) {
    // fields after the command name, which is in parentheses and may hold spaces: utime is the 14th field
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /**
   * User + system time of the JVM's JIT compiler threads (C1, C2) alive now, in clock ticks; 0 without a pid. A
   * node still compiles its connect path after tens of thousands of connects (C2 took 20 to 45 % of a storm's CPU
   * after three storms of 5,000 or 15,000), which a broker without a JIT never pays: the figure without it tells a
   * change's effect on the work itself. A compiler thread that ends during the storm takes its time out of this sum
   * (HotSpot stops idle ones), so the figure without the JIT is then somewhat high.
   */
  static long jitTicks(long pid) throws IOException {
    if (pid <= 0) {
      return 0;
    }
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          if (!Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).contains("CompilerThre")) {
            continue;
          }
          ticks += userAndSystemTicks(Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII));
        } catch (IOException threadEnded) {
          // gone meanwhile
        }
      }
    }
    return ticks;
  }

  private static long rssKb(long pid) throws IOException {
    if (pid <= 0) {
      return 0;
    }
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return 0;
  }
}
