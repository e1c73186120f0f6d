package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.nio.charset.StandardCharsets;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a fleet feels when the node its devices are on dies: N MQTT 5 devices with persistent
 * sessions (Session Expiry 3,600 s) and one QoS 1 subscription each connect to the first node;
 * this tool then kills that node (kill -9 of {@code --victim-pid}) and every device, once it sees
 * its connection drop, waits a random delay of up to {@code --jitter-ms} (as devices back off) and
 * reconnects with Clean Start 0 to one of the other nodes (alternately, as a load balancer would),
 * retrying a refused or failed connect after 1 s. When all are back, one QoS 1 message is published
 * to each device's topic from a surviving node, to show that the sessions came back with their
 * subscriptions. With {@code --publish-during-ms}, a publisher on the last node also sends one QoS 1 message to
 * every device that long after the kill, sending a refused one again every second: it reaches the sessions while
 * they are adopted and taken over, and each device must get it once back.
 *
 * <pre>load-tests/scripts/reconnect-storm.sh   # CLIENTS=5000 JITTER_MS=2000</pre>
 *
 * <p>It prints the time from the kill to the last CONNACK, reconnect latency percentiles (from
 * each device's own disconnect), how many CONNACKs said Session Present, the refused attempts, how
 * many devices received their message, and, with {@code --survivor-pids}, the CPU the surviving
 * nodes spent from the kill until the last CONNACK.
 */
public final class ReconnectStorm {

  private static final String HOST = "127.0.0.1";
  /** Bits of what a device received: the message sent during the storm, the one sent after it. */
  private static final int DURING = 1;
  private static final int AFTER = 2;

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
    int[] ports = {21911, 21912, 21913};
    int clients = 5000;
    int concurrency = 200;
    long jitterMs = 2000;
    long victimPid = 0;
    long[] survivorPids = new long[0];
    long publishDuringMs = -1;
    String prefix = "fleet-" + Long.toHexString(System.nanoTime());
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--ports" -> ports = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[i + 1]);
        case "--jitter-ms" -> jitterMs = Long.parseLong(args[i + 1]);
        case "--victim-pid" -> victimPid = Long.parseLong(args[i + 1]);
        case "--survivor-pids" ->
            survivorPids = Arrays.stream(args[i + 1].split(",")).mapToLong(Long::parseLong).toArray();
        case "--prefix" -> prefix = args[i + 1];
        case "--publish-during-ms" -> publishDuringMs = Long.parseLong(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (victimPid <= 0 || ports.length < 2) {
      throw new IllegalArgumentException("--victim-pid and at least two --ports are required");
    }
    int n = clients;

    long jitter = jitterMs;
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    long[] connackAt = new long[n];
    AtomicIntegerArray present = new AtomicIntegerArray(n);
    AtomicInteger refused = new AtomicInteger();
    ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
    CountDownLatch back = new CountDownLatch(n);
    AtomicIntegerArray received = new AtomicIntegerArray(n);
    Mqtt5AsyncClient[] second = new Mqtt5AsyncClient[n];
    Semaphore reconnecting = new Semaphore(concurrency);
    int[] survivors = Arrays.copyOfRange(ports, 1, ports.length);
    Reconnects reconnects = new Reconnects(prefix, second, connackAt, present, refused, refusals, back, received,
        reconnecting, timer);

    // phase 1: every device on the first node, persistent session, one subscription
    Mqtt5AsyncClient[] first = new Mqtt5AsyncClient[n];
    CountDownLatch dropped = new CountDownLatch(n);
    AtomicLongArray droppedAt = new AtomicLongArray(n);
    AtomicBoolean killed = new AtomicBoolean();
    Semaphore underWay = new Semaphore(concurrency);
    AtomicInteger failedFirst = new AtomicInteger();
    long startFirst = System.nanoTime();
    for (int i = 0; i < n; i++) {
      underWay.acquire();
      int d = i;
      Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(prefix + "-" + d)
          .serverHost(HOST).serverPort(ports[0])
          .addDisconnectedListener(ctx -> {
            if (killed.get() && droppedAt.compareAndSet(d, 0, System.nanoTime())) {
              dropped.countDown();
              // as a device would: back off for a random moment, then try another node
              long delay = jitter <= 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter);
              timer.schedule(() -> reconnects.attempt(d, survivors[d % survivors.length], 0), delay,
                  TimeUnit.MILLISECONDS);
            }
          })
          .buildAsync();
      first[d] = client;
      client.connectWith().cleanStart(true).sessionExpiryInterval(3600).keepAlive(30).send()
          .thenCompose(connack -> client.subscribeWith().topicFilter("fleet/" + d + "/cmd")
              .qos(MqttQos.AT_LEAST_ONCE).send())
          .whenComplete((ok, error) -> {
            if (error != null) {
              failedFirst.incrementAndGet();
            }
            underWay.release();
          });
    }
    underWay.acquire(concurrency);
    underWay.release(concurrency);
    System.out.printf(Locale.ROOT, "%d devices connected and subscribed to port %d in %.1f s (%d failed)%n",
        n - failedFirst.get(), ports[0], (System.nanoTime() - startFirst) / 1e9, failedFirst.get());
    if (failedFirst.get() > 0) {
      return 1;
    }

    // a publisher on the last node, connected before the kill: during the storm it sends one QoS 1 message to every
    // device, which reaches sessions while they are adopted and taken over
    Mqtt5AsyncClient duringPublisher = null;
    if (publishDuringMs >= 0) {
      duringPublisher = MqttClient.builder().useMqttVersion5().identifier(prefix + "-during")
          .serverHost(HOST).serverPort(survivors[survivors.length - 1]).buildAsync();
      duringPublisher.connect().get(30, TimeUnit.SECONDS);
    }

    // phase 2: kill -9 of their node; each device reconnects elsewhere once it notices
    long[] cpuBefore = new long[survivorPids.length];
    for (int i = 0; i < survivorPids.length; i++) {
      cpuBefore[i] = ConnectStorm.cpuTicks(survivorPids[i]);
    }
    killed.set(true);
    long killedAt = System.nanoTime();
    long victim = victimPid;
    ProcessHandle.of(victim).orElseThrow(() -> new IllegalStateException("no process " + victim))
        .destroyForcibly();
    System.out.println("killed the first node (pid " + victimPid + ")");
    Map<String, AtomicInteger> duringErrors = new ConcurrentHashMap<>();
    CompletableFuture<List<Integer>> during = new CompletableFuture<>();
    if (duringPublisher != null) {
      Mqtt5AsyncClient p = duringPublisher;
      long waitMs = publishDuringMs;
      Thread publishing = new Thread(() -> {
        try {
          Thread.sleep(waitMs);
          // a publish refused (no session reachable yet: its node is gone and no survivor has adopted it) is sent
          // again every second, as a publisher that wants its message delivered would
          List<Integer> left = publishToAll(p, IntStream.range(0, n).toArray(), "during ", duringErrors);
          for (int attempt = 0; attempt < 60 && !left.isEmpty(); attempt++) {
            Thread.sleep(1000);
            left = publishToAll(p, left.stream().mapToInt(Integer::intValue).toArray(), "during ", duringErrors);
          }
          during.complete(left);
        } catch (Exception e) {
          during.completeExceptionally(e);
        }
      }, "publish-during-storm");
      publishing.setDaemon(true);
      publishing.start();
    } else {
      during.complete(List.of());
    }

    if (!dropped.await(120, TimeUnit.SECONDS)) {
      System.out.println("only " + (n - dropped.getCount()) + " devices noticed the kill in 120 s");
    }
    boolean allBack = back.await(600, TimeUnit.SECONDS);
    long lastConnack = Arrays.stream(connackAt).max().orElse(killedAt);
    long[] cpuAfter = new long[survivorPids.length];
    for (int i = 0; i < survivorPids.length; i++) {
      cpuAfter[i] = ConnectStorm.cpuTicks(survivorPids[i]);
    }
    long[] reconnectNanos = new long[n];
    int sessionPresent = 0;
    for (int d = 0; d < n; d++) {
      reconnectNanos[d] = connackAt[d] == 0 ? -1 : connackAt[d] - droppedAt.get(d);
      sessionPresent += present.get(d);
    }
    System.out.printf(Locale.ROOT, "%s: %d of %d back; kill -> last CONNACK %.1f s (jitter up to %d ms)%n",
        allBack ? "all back" : "NOT ALL BACK", n - back.getCount(), n, (lastConnack - killedAt) / 1e9, jitterMs);
    System.out.println("reconnect ms (from the device's own disconnect, incl. its jitter) "
        + percentiles(reconnectNanos));
    System.out.printf(Locale.ROOT, "Session Present 1: %d of %d; refused or failed attempts (retried): %d%n",
        sessionPresent, n, refused.get());
    refusals.stream().limit(5).forEach(r -> System.out.println("  e.g. " + r));
    for (int i = 0; i < survivorPids.length; i++) {
      double cpuMs = (cpuAfter[i] - cpuBefore[i]) * 10.0; // USER_HZ 100
      System.out.printf(Locale.ROOT, "survivor pid %d: broker CPU %.0f ms during the storm%n", survivorPids[i],
          cpuMs);
    }

    // phase 3: one QoS 1 message to every device, published on a surviving node
    Mqtt5AsyncClient publisher = MqttClient.builder().useMqttVersion5().identifier(prefix + "-publisher")
        .serverHost(HOST).serverPort(survivors[0]).buildAsync();
    publisher.connect().get(30, TimeUnit.SECONDS);
    // a refused publish (PUBACK with an error) is counted by reason and sent once more a second later, as a
    // publisher that wants its message delivered would
    Map<String, AtomicInteger> pubackErrors = new ConcurrentHashMap<>();
    List<Integer> notAcceptedDuring = during.get(120, TimeUnit.SECONDS);
    if (duringPublisher != null) {
      System.out.println("publishes during the storm refused (PUBACK reason, every try): "
          + (duringErrors.isEmpty() ? "none" : duringErrors) + "; never accepted: " + notAcceptedDuring.size());
    }
    List<Integer> again = publishToAll(publisher, IntStream.range(0, n).toArray(), "hello ", pubackErrors);
    if (!again.isEmpty()) {
      Thread.sleep(1000);
      again = publishToAll(publisher, again.stream().mapToInt(Integer::intValue).toArray(), "hello ", pubackErrors);
    }
    System.out.println("publishes after the storm refused (PUBACK reason, first try and retry): "
        + (pubackErrors.isEmpty() ? "none" : pubackErrors) + "; refused twice: " + again.size());
    int want = duringPublisher == null ? AFTER : AFTER | DURING;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int gotAfter = 0;
    int gotDuring = 0;
    while (System.nanoTime() < until) {
      gotAfter = 0;
      gotDuring = 0;
      int gotAll = 0;
      for (int d = 0; d < n; d++) {
        int r = received.get(d);
        gotAfter += (r & AFTER) != 0 ? 1 : 0;
        gotDuring += (r & DURING) != 0 ? 1 : 0;
        gotAll += (r & want) == want ? 1 : 0;
      }
      if (gotAll == n) {
        break;
      }
      Thread.sleep(200);
    }
    if (duringPublisher != null) {
      System.out.printf(Locale.ROOT, "messages sent during the storm: %d of %d devices received theirs (lost: %d)%n",
          gotDuring, n, n - notAcceptedDuring.size() - gotDuring);
    }
    System.out.printf(Locale.ROOT, "subscriptions kept: %d of %d devices received the message sent after the storm%n",
        gotAfter, n);
    int got = duringPublisher == null ? gotAfter : Math.min(gotAfter, gotDuring);

    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Mqtt5AsyncClient c : second) {
      if (c != null) {
        closing.add(c.disconnect().exceptionally(e -> null));
      }
    }
    closing.add(publisher.disconnect().exceptionally(e -> null));
    if (duringPublisher != null) {
      closing.add(duringPublisher.disconnect().exceptionally(e -> null));
    }
    CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    timer.shutdownNow();
    return allBack && sessionPresent == n && got == n && again.isEmpty() ? 0 : 1;
  }

  /** Publishes one QoS 1 message to each device given; answers the devices whose PUBACK was an error. */
  private static List<Integer> publishToAll(Mqtt5AsyncClient publisher, int[] devices, String text,
      Map<String, AtomicInteger> pubackErrors) throws Exception {
    List<Integer> refused = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<?>> acks = new ArrayList<>();
    Semaphore publishing = new Semaphore(500);
    for (int d : devices) {
      publishing.acquire();
      acks.add(publisher.publishWith().topic("fleet/" + d + "/cmd").qos(MqttQos.AT_LEAST_ONCE)
          .payload((text + d).getBytes(StandardCharsets.UTF_8)).send()
          .whenComplete((r, e) -> {
            publishing.release();
            String reason = e instanceof Mqtt5PubAckException p ? p.getMqttMessage().getReasonCode().toString()
                : e != null ? e.getClass().getSimpleName()
                : r.getError().isPresent() ? r.getError().get().getClass().getSimpleName() : null;
            if (reason != null) {
              pubackErrors.computeIfAbsent(reason, k -> new AtomicInteger()).incrementAndGet();
              refused.add(d);
            }
          }));
    }
    CompletableFuture.allOf(acks.stream().map(f -> f.exceptionally(e -> null)).toArray(CompletableFuture[]::new))
        .get(120, TimeUnit.SECONDS);
    return refused;
  }

  /** The second connect of each device, with its retries, recorded in arrays {@link #run} reads. */
  private record Reconnects(String prefix, Mqtt5AsyncClient[] clients, long[] connackAt, AtomicIntegerArray present,
      AtomicInteger refused, ConcurrentLinkedQueue<String> refusals, CountDownLatch back,
      AtomicIntegerArray received, Semaphore underWay, ScheduledExecutorService timer) {

    void attempt(int device, int port, int attempt) {
      try {
        underWay.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(prefix + "-" + device)
          .serverHost(HOST).serverPort(port).buildAsync();
      client.publishes(MqttGlobalPublishFilter.ALL, p -> received.accumulateAndGet(device,
          new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8).startsWith("during ") ? DURING : AFTER,
          (a, b) -> a | b));
      client.connectWith().cleanStart(false).sessionExpiryInterval(3600).keepAlive(30).send()
          .whenComplete((connack, error) -> {
            underWay.release();
            if (error == null) {
              connackAt[device] = System.nanoTime();
              present.set(device, connack.isSessionPresent() ? 1 : 0);
              clients[device] = client;
              back.countDown();
              return;
            }
            refused.incrementAndGet();
            if (refusals.size() < 5) {
              refusals.add(error.toString());
            }
            if (attempt < 60) {
              timer.schedule(() -> attempt(device, port, attempt + 1), 1, TimeUnit.SECONDS);
            }
          });
    }
  }

  private static String percentiles(long[] nanos) {
    long[] done = Arrays.stream(nanos).filter(t -> t >= 0).sorted().toArray();
    if (done.length == 0) {
      return "none";
    }
    return String.format(Locale.ROOT, "p50 %.0f p90 %.0f p99 %.0f max %.0f (%d)", ConnectStorm.at(done, 0.50),
        ConnectStorm.at(done, 0.90), ConnectStorm.at(done, 0.99), done[done.length - 1] / 1e6, done.length);
  }
}
