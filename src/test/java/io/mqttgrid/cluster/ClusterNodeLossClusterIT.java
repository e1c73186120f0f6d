package io.mqttgrid.cluster;

import static io.mqttgrid.cluster.ClusterClients.awaitRoutes;
import static io.mqttgrid.cluster.ClusterClients.bytes;
import static io.mqttgrid.cluster.ClusterClients.millisSince;
import static io.mqttgrid.cluster.ClusterClients.reasonCode;
import static io.mqttgrid.cluster.ClusterClients.report;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.cluster.ClusterClients.Collector;
import io.mqttgrid.cluster.ClusterClients.Received;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.TcpLoadBalancer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kill -9 of one of three broker JVMs while a QoS 1 stream flows through it. Clients of the killed
 * node reconnect through the load balancer to a survivor and find their persistent sessions; every
 * message acknowledged to its publisher with a success code reaches the subscriber (duplicates
 * allowed); retained messages survive; the survivors send the wills of the dead node's clients
 * after their will delay and purge its routes within seconds. n3 is the node that dies; the tests
 * run in order and share the one kill.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterNodeLossClusterIT {

  private static final int STREAM = 10_000;
  private static final int KILL_AFTER = 3_000;
  private static final int WINDOW = 100;
  private static final int RETAINED = 30;
  private static final int WILL_DELAY_SECONDS = 2;
  private static final String STREAM_TOPIC = "it/stream/data";
  private static final String SUBSCRIBER = "stream-sub";

  private static ClusterFixture cluster;
  private static TcpLoadBalancer lb;
  private static final List<Runnable> cleanup = new CopyOnWriteArrayList<>();
  private static Collector willWatcher;
  private static Mqtt5AsyncClient streamSubscriber;
  private static Collector streamReceived;
  private static final CompletableFuture<Void> subscriberDropped = new CompletableFuture<>();
  private static volatile long killedAt;
  private static volatile long killedAtMillis;
  private static Mqtt5AsyncClient routeProber;
  private static final Map<String, Integer> unackedIds = new ConcurrentHashMap<>();
  private static final List<Probe> probes = new CopyOnWriteArrayList<>();

  /** One QoS 1 publish to the dead node's only route: when it was sent and what PUBACK it got. */
  private record Probe(long sentAt, int code) {}

  @BeforeAll
  static void startClusterAndClientsOnTheNodeThatWillDie() throws Exception {
    // the stream outlasts the subscriber's absence: its offline queue must hold it all (the default
    // bound,
    // 100 messages, drops the rest by design, session.overflow=drop-new)
    cluster =
        ClusterFixture.start(
            ClusterNodeLossClusterIT.class.getSimpleName(),
            3,
            Map.of(
                "session.max-queued-messages",
                String.valueOf(2 * STREAM),
                "session.max-queued-bytes",
                String.valueOf(64L << 20)));
    lb = cluster.loadBalancer();
    report("node loss: 3 nodes formed one cluster in %d ms", cluster.formationTime().toMillis());

    Mqtt5AsyncClient watcher = ClusterClients.v5(port(1), "will-watcher");
    willWatcher = Collector.on(watcher, "will-watcher@n1");
    connect(watcher, true, 0);
    watcher
        .subscribeWith()
        .topicFilter("it/will/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);

    // clients of n3 with wills: MQTT 5 with a will delay (and a session that outlives it), MQTT 5
    // without,
    // MQTT 3.1.1
    Mqtt5AsyncClient delayed =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("will-delayed")
            .serverHost("127.0.0.1")
            .serverPort(port(3))
            .willPublish()
            .topic("it/will/delayed")
            .payload(bytes("gone-delayed"))
            .qos(MqttQos.AT_LEAST_ONCE)
            .delayInterval(WILL_DELAY_SECONDS)
            .applyWillPublish()
            .buildAsync();
    connect(delayed, true, 60);
    Mqtt5AsyncClient now =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("will-now")
            .serverHost("127.0.0.1")
            .serverPort(port(3))
            .willPublish()
            .topic("it/will/now")
            .payload(bytes("gone-now"))
            .qos(MqttQos.AT_LEAST_ONCE)
            .applyWillPublish()
            .buildAsync();
    connect(now, true, 0);
    Mqtt3AsyncClient v3 =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier("will-v311")
            .serverHost("127.0.0.1")
            .serverPort(port(3))
            .willPublish()
            .topic("it/will/v311")
            .payload(bytes("gone-v311"))
            .qos(MqttQos.AT_LEAST_ONCE)
            .applyWillPublish()
            .buildAsync();
    v3.connectWith().cleanSession(true).send().get(10, TimeUnit.SECONDS);

    // the only subscriber of it/only-n3/#, clean: its route must go with its node
    Mqtt5AsyncClient onlyN3 = ClusterClients.v5(port(3), "only-on-n3");
    Collector onlyN3Got = Collector.on(onlyN3, "only-on-n3");
    connect(onlyN3, true, 0);
    onlyN3
        .subscribeWith()
        .topicFilter("it/only-n3/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);

    // a persistent session on n3 that nobody feeds before the kill
    Mqtt5AsyncClient idle = ClusterClients.v5(port(3), "idle-sub");
    connect(idle, true, 300);
    idle.subscribeWith()
        .topicFilter("it/idle/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);

    // the stream's subscriber: persistent, on n3, automatic acknowledgements
    streamSubscriber =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(SUBSCRIBER)
            .serverHost("127.0.0.1")
            .serverPort(port(3))
            .addDisconnectedListener(ctx -> subscriberDropped.complete(null))
            .buildAsync();
    streamReceived = Collector.on(streamSubscriber, SUBSCRIBER);
    connect(streamSubscriber, true, 300);
    streamSubscriber
        .subscribeWith()
        .topicFilter("it/stream/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);

    // a persistent session on n3 whose client leaves QoS 1 and QoS 2 messages unacknowledged: u1
    // (no PUBACK),
    // u2 (no PUBREC), u3 (PUBREC sent, PUBREL received, no PUBCOMP)
    RawMqttClient raw = RawMqttClient.open(port(3), 5);
    cleanup.add(raw::close);
    assertThat(
            raw.connect(
                    new RawMqttClient.Connect("unacked-sub").cleanStart(true).sessionExpiry(300))
                .reasonCode())
        .isZero();
    raw.subscribe(1, "it/unacked/#", 2);
    assertThat(raw.expect(RawMqttClient.SUBACK).reasonCodes()).containsExactly(2);
    Mqtt5AsyncClient local = ClusterClients.v5(port(3), "unacked-pub-n3");
    connect(local, true, 0);
    for (String m : List.of("u1", "u2", "u3")) {
      MqttQos qos = m.equals("u1") ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE;
      Mqtt5PublishResult r =
          local
              .publishWith()
              .topic("it/unacked/" + m)
              .qos(qos)
              .payload(bytes(m))
              .send()
              .get(10, TimeUnit.SECONDS);
      assertThat(reasonCode(r)).isZero();
      RawMqttClient.Packet p = raw.expect(RawMqttClient.PUBLISH);
      assertThat(p.payloadText()).isEqualTo(m);
      unackedIds.put(m, p.packetId());
    }
    raw.pubrec(unackedIds.get("u3"));
    assertThat(raw.expect(RawMqttClient.PUBREL).packetId()).isEqualTo(unackedIds.get("u3"));
    local.disconnect().get(5, TimeUnit.SECONDS);

    // retained messages set through n3, spread over the partitions by their topics
    Mqtt5AsyncClient setter = ClusterClients.v5(port(3), "retained-setter");
    connect(setter, true, 0);
    for (int i = 0; i < RETAINED; i++) {
      Mqtt5PublishResult r =
          setter
              .publishWith()
              .topic("it/kept/" + i)
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .payload(bytes("kept-" + i))
              .send()
              .get(10, TimeUnit.SECONDS);
      assertThat(reasonCode(r)).isLessThan(0x80);
    }
    setter.disconnect().get(5, TimeUnit.SECONDS);

    Mqtt5AsyncClient prober = ClusterClients.v5(port(1), "prober-n1");
    connect(prober, true, 0);
    awaitRoutes(prober, "it/stream/probe", List.of(streamReceived));
    awaitRoutes(prober, "it/only-n3/probe", List.of(onlyN3Got));
    prober.disconnect().get(5, TimeUnit.SECONDS);

    routeProber = ClusterClients.v5(port(2), "route-prober-n2");
    connect(routeProber, true, 0);
  }

  @AfterAll
  static void stopCluster() {
    cleanup.forEach(Runnable::run);
    if (cluster != null) {
      cluster.close();
    }
  }

  private static int port(int node) {
    return cluster.node(node).mqttPort();
  }

  private static Mqtt5ConnAck connect(Mqtt5AsyncClient c, boolean cleanStart, long expiry)
      throws Exception {
    Mqtt5ConnAck ack =
        c.connectWith()
            .cleanStart(cleanStart)
            .sessionExpiryInterval(expiry)
            .send()
            .get(10, TimeUnit.SECONDS);
    cleanup.add(
        () -> c.disconnect().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join());
    return ack;
  }

  /**
   * Kills n3 unless an earlier test did (so that each test can also run on its own), and from then
   * on publishes to n3's only route every 100 ms for 20 s, each publish on its own (a PUBACK may
   * take a while).
   */
  private static synchronized void killN3() {
    if (killedAt == 0) {
      killedAt = System.nanoTime();
      killedAtMillis = System.currentTimeMillis();
      cluster.kill(3);
      Thread t =
          new Thread(
              () -> {
                while (millisSince(killedAt) < 20_000) {
                  long sent = System.nanoTime();
                  routeProber
                      .publishWith()
                      .topic("it/only-n3/x")
                      .qos(MqttQos.AT_LEAST_ONCE)
                      .payload(bytes("x"))
                      .send()
                      .orTimeout(15, TimeUnit.SECONDS)
                      .handle(ClusterClients::reasonCode)
                      .thenAccept(code -> probes.add(new Probe(sent, code)));
                  try {
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "route-prober");
      t.setDaemon(true);
      t.start();
    }
  }

  private static long sinceKill(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos - killedAt);
  }

  /**
   * What the publisher saw: messages acknowledged with success, and attempts that failed, by reason
   * code.
   */
  private static final class Stream {
    final Set<Integer> acked = ConcurrentHashMap.newKeySet();
    final Map<Integer, AtomicInteger> failures = new ConcurrentHashMap<>();
    final Map<Integer, AtomicInteger> successCodes = new ConcurrentHashMap<>();
    final AtomicLong firstFailure = new AtomicLong();
    final AtomicLong lastFailure = new AtomicLong();
    final AtomicLong firstSuccessAfterFailure = new AtomicLong();
    final java.util.Queue<Long> successTimes = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * The longest time without any successful PUBACK, and when it began: {gapMillis, startNanos}.
     */
    long[] longestSilence() {
      List<Long> times = new ArrayList<>(successTimes);
      java.util.Collections.sort(times);
      long gap = 0;
      long from = 0;
      for (int i = 1; i < times.size(); i++) {
        if (times.get(i) - times.get(i - 1) > gap) {
          gap = times.get(i) - times.get(i - 1);
          from = times.get(i - 1);
        }
      }
      return new long[] {TimeUnit.NANOSECONDS.toMillis(gap), from};
    }
  }

  @Test
  @Order(1)
  void
      everyQos1MessageAcknowledgedToItsPublisherReachesTheSubscriberOfTheKilledNodeAfterItReconnects()
          throws Exception {
    Mqtt5AsyncClient pub = ClusterClients.v5(port(1), "stream-pub");
    connect(pub, true, 0);
    Stream stream = new Stream();
    LinkedBlockingQueue<Integer> todo = new LinkedBlockingQueue<>();
    for (int i = 0; i < STREAM; i++) {
      todo.add(i);
    }
    Semaphore window = new Semaphore(WINDOW);
    AtomicReference<Reconnected> reconnected = new AtomicReference<>();
    CompletableFuture<Void> reconnect = null;
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(150);
    int attempts = 0;
    while (stream.acked.size() < STREAM) {
      assertThat(System.nanoTime())
          .as(
              "stream done within 150 s; acknowledged %d, failures %s",
              stream.acked.size(), stream.failures)
          .isLessThan(deadline);
      if (reconnect == null && stream.acked.size() >= KILL_AFTER) {
        report(
            "node loss: killing n3 (kill -9) after %d of %d messages were acknowledged",
            stream.acked.size(), STREAM);
        CompletableFuture.runAsync(ClusterNodeLossClusterIT::killN3);
        reconnect = CompletableFuture.runAsync(() -> reconnected.set(reconnectSubscriber()));
      }
      Integer seq = todo.poll(50, TimeUnit.MILLISECONDS);
      if (seq == null || stream.acked.contains(seq)) {
        continue;
      }
      if (!window.tryAcquire(20, TimeUnit.SECONDS)) {
        throw new AssertionError("no PUBACK (nor timeout) for 20 s");
      }
      attempts++;
      pub.publishWith()
          .topic(STREAM_TOPIC)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(bytes(String.valueOf(seq)))
          .send()
          .orTimeout(15, TimeUnit.SECONDS)
          .whenComplete(
              (r, e) -> {
                int code = reasonCode(r, e);
                long now = System.nanoTime();
                if (code >= 0 && code < 0x80) {
                  stream.acked.add(seq);
                  stream.successTimes.add(now);
                  stream
                      .successCodes
                      .computeIfAbsent(code, k -> new AtomicInteger())
                      .incrementAndGet();
                  if (stream.firstFailure.get() != 0) {
                    stream.firstSuccessAfterFailure.compareAndSet(0, now);
                  }
                } else {
                  // PUBACK with an error code, or no PUBACK in time: the publisher sends it again
                  stream.failures.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                  stream.firstFailure.compareAndSet(0, now);
                  stream.lastFailure.set(now);
                  todo.add(seq);
                }
                window.release();
              });
    }
    long publishedMs = millisSince(start);
    assertThat(killedAt).as("n3 was killed during the stream").isNotZero();
    reconnect.get(90, TimeUnit.SECONDS);
    Reconnected back = reconnected.get();
    assertThat(back.connAck().isSessionPresent())
        .as("the persistent session survived the kill")
        .isTrue();
    assertThat(back.node())
        .as("reconnected through the load balancer to a survivor")
        .isIn("n1", "n2");

    Set<Integer> acked = new HashSet<>(stream.acked);
    boolean complete = ClusterClients.await(() -> received().containsAll(acked), 60_000);
    List<Integer> all = streamReceived.sequence(STREAM_TOPIC);
    TreeSet<Integer> missing = new TreeSet<>(acked);
    missing.removeAll(new HashSet<>(all));
    Optional<Received> firstAfter =
        streamReceived.on(STREAM_TOPIC).stream()
            .filter(r -> r.atNanos() > back.atNanos())
            .findFirst();

    report(
        "node loss: %,d QoS 1 messages acknowledged to the publisher in %,d ms (%,d attempts; success codes %s; "
            + "failed attempts by reason code (-1: no PUBACK in 15 s) %s)",
        acked.size(), publishedMs, attempts, codes(stream.successCodes), codes(stream.failures));
    long[] silence = stream.longestSilence();
    report(
        "node loss: the publisher on n1 got no successful PUBACK for %,d ms, from %,d ms after the kill",
        silence[0], sinceKill(silence[1]));
    if (stream.firstFailure.get() != 0) {
      report(
          "node loss: publishes failed from %,d ms to %,d ms after the kill; first success after a failure at "
              + "%,d ms",
          sinceKill(stream.firstFailure.get()),
          sinceKill(stream.lastFailure.get()),
          sinceKill(stream.firstSuccessAfterFailure.get()));
    }
    report(
        "node loss: subscriber of n3 reconnected (clean start 0, session present %s) through the load balancer "
            + "to %s %,d ms after the kill, after %d attempts; first message on the new connection %s ms after the "
            + "kill",
        back.connAck().isSessionPresent(),
        back.node(),
        sinceKill(back.atNanos()),
        back.attempts(),
        firstAfter.map(r -> String.format("%,d", sinceKill(r.atNanos()))).orElse("(none)"));
    report(
        "node loss: subscriber received %,d messages (%,d distinct, %,d duplicates); acknowledged but missing: %d%s",
        all.size(),
        new HashSet<>(all).size(),
        all.size() - new HashSet<>(all).size(),
        missing.size(),
        missing.isEmpty() ? "" : " e.g. " + missing.stream().limit(20).toList());
    assertThat(complete && missing.isEmpty())
        .as(
            "every message acknowledged with success reaches the subscriber; missing %d: %s",
            missing.size(), missing.stream().limit(50).toList())
        .isTrue();
  }

  private static Set<Integer> received() {
    return new HashSet<>(streamReceived.sequence(STREAM_TOPIC));
  }

  private static String codes(Map<Integer, AtomicInteger> counts) {
    return new TreeMap<>(counts)
        .entrySet().stream()
            .map(
                e ->
                    (e.getKey() < 0 ? "timeout" : String.format("0x%02X", e.getKey()))
                        + "="
                        + e.getValue())
            .collect(Collectors.joining(", ", "{", "}"));
  }

  private record Reconnected(Mqtt5ConnAck connAck, String node, long atNanos, int attempts) {}

  /**
   * Waits until the subscriber's connection to n3 drops, then connects the same client id through
   * the load balancer with Clean Start 0 until it is served, as a device does.
   */
  private static Reconnected reconnectSubscriber() {
    subscriberDropped.orTimeout(30, TimeUnit.SECONDS).join();
    int attempts = 0;
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      attempts++;
      Mqtt5AsyncClient c =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier(SUBSCRIBER)
              .serverHost(lb.host())
              .serverPort(lb.port())
              .transportConfig()
              .socketConnectTimeout(3, TimeUnit.SECONDS)
              .mqttConnectTimeout(5, TimeUnit.SECONDS)
              .applyTransportConfig()
              .buildAsync();
      c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL, streamReceived::add);
      try {
        Mqtt5ConnAck ack =
            c.connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(300)
                .send()
                .get(10, TimeUnit.SECONDS);
        long at = System.nanoTime();
        cleanup.add(
            () ->
                c.disconnectWith()
                    .sessionExpiryInterval(0)
                    .send()
                    .orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null)
                    .join());
        return new Reconnected(ack, lb.lastBackend(), at, attempts);
      } catch (Exception e) {
        c.disconnect().exceptionally(x -> null);
        if (System.nanoTime() > giveUp) {
          throw new AssertionError(
              "the subscriber could not reconnect within 60 s of losing n3", e);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new AssertionError(ie);
        }
      }
    }
  }

  @Test
  @Order(2)
  void theSurvivorsPublishTheWillsOfTheKilledNodesClientsAfterTheirWillDelay() throws Exception {
    killN3();
    boolean all =
        ClusterClients.await(
            () ->
                willWatcher.count("it/will/delayed") > 0
                    && willWatcher.count("it/will/now") > 0
                    && willWatcher.count("it/will/v311") > 0,
            30_000);
    Thread.sleep(1_000); // a second copy (two survivors sending it) would arrive about now
    for (String topic : List.of("it/will/now", "it/will/v311", "it/will/delayed")) {
      List<Received> got = willWatcher.on(topic);
      report(
          "node loss: will on %-16s published %s ms after the kill",
          topic, got.isEmpty() ? "(never)" : String.format("%,d", sinceKill(got.get(0).atNanos())));
    }
    assertThat(all)
        .as("every will published within 30 s of the kill; got %s", willWatcher.all())
        .isTrue();
    for (String topic : List.of("it/will/now", "it/will/v311", "it/will/delayed")) {
      assertThat(willWatcher.on(topic)).as("will on %s published once", topic).hasSize(1);
    }
    assertThat(willWatcher.on("it/will/delayed").get(0).payload()).isEqualTo("gone-delayed");
    assertThat(willWatcher.on("it/will/v311").get(0).payload()).isEqualTo("gone-v311");
    long delayedMs = sinceKill(willWatcher.on("it/will/delayed").get(0).atNanos());
    assertThat(delayedMs)
        .as(
            "the will delay (%d s) runs from the connection loss at the earliest",
            WILL_DELAY_SECONDS)
        .isGreaterThanOrEqualTo(WILL_DELAY_SECONDS * 1000L);
    assertThat(delayedMs).as("delayed will sent within seconds of its delay").isLessThan(20_000);
    assertThat(sinceKill(willWatcher.on("it/will/now").get(0).atNanos()))
        .as("will without delay, promptly")
        .isLessThan(20_000);
  }

  @Test
  @Order(3)
  void theSurvivorsPurgeTheKilledNodesRoutesWithinSeconds() throws Exception {
    killN3();
    // the only subscriber of it/only-n3/# died with n3: while its route lasts, a QoS 1 publish
    // there goes to
    // n3 and fails; once a survivor purged it, the answer is 0x10 (No matching subscribers)
    ClusterClients.await(() -> millisSince(killedAt) > 20_000 && probes.size() >= 150, 40_000);
    List<Probe> sorted = new ArrayList<>(probes);
    sorted.sort(java.util.Comparator.comparingLong(Probe::sentAt));
    long purgedFrom = -1;
    for (int i = sorted.size() - 1; i >= 0 && sorted.get(i).code() == 0x10; i--) {
      purgedFrom = sorted.get(i).sentAt();
    }
    Map<Integer, Long> codes =
        sorted.stream()
            .collect(Collectors.groupingBy(Probe::code, TreeMap::new, Collectors.counting()));
    Optional<String> purgeLine = survivorLogLine("routes of departed node n3");
    Optional<String> handled = survivorLogLine("departed node n3 handled");
    Optional<String> adopted = survivorLogLine("sessions of departed node n3");
    long loggedMs =
        purgeLine
            .map(
                l ->
                    java.time.Instant.parse(l.substring(0, l.indexOf(' '))).toEpochMilli()
                        - killedAtMillis)
            .orElse(-1L);
    report(
        "node loss: publishes to the dead node's only route answered 0x10 from those sent %s ms after the kill "
            + "on (answers by reason code: %s); a survivor logged the purge %,d ms after the kill:%n  %s%n  %s%n  %s",
        purgedFrom < 0 ? "(never)" : String.format("%,d", sinceKill(purgedFrom)),
        codes,
        loggedMs,
        purgeLine.orElse("(no purge line)"),
        adopted.orElse("(no adoption line)"),
        handled.orElse("(no line)"));
    assertThat(purgedFrom)
        .as("publishes to n3's route answered 0x10 from some point on; answers %s", codes)
        .isGreaterThan(0);
    assertThat(sinceKill(purgedFrom))
        .as("route of n3 purged within seconds of the kill")
        .isLessThan(10_000);
    assertThat(purgeLine).as("a survivor logs the purge").isPresent();
    assertThat(loggedMs).as("purge logged within seconds of the kill").isBetween(0L, 10_000L);
  }

  private static Optional<String> survivorLogLine(String text) throws IOException {
    for (int node = 1; node <= 2; node++) {
      for (String line : Files.readAllLines(cluster.node(node).log(), StandardCharsets.UTF_8)) {
        if (line.contains(text)) {
          return Optional.of(line);
        }
      }
    }
    return Optional.empty();
  }

  @Test
  @Order(4)
  void aPersistentSessionOfTheKilledNodeKeepsItsSubscriptionAndQueueAndRetainedMessagesSurvive()
      throws Exception {
    killN3();
    cluster.awaitMembers(2, Duration.ofSeconds(30), 1, 2);
    Mqtt5AsyncClient pub = ClusterClients.v5(port(1), "idle-pub-n1");
    connect(pub, true, 0);
    // while its client is away, its session (adopted by a survivor) takes messages into its queue
    List<Integer> codes = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int code;
    do {
      assertThat(System.nanoTime())
          .as("a publish to the session succeeds within 30 s; codes %s", codes)
          .isLessThan(deadline);
      code =
          pub.publishWith()
              .topic("it/idle/x")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes("queued"))
              .send()
              .orTimeout(15, TimeUnit.SECONDS)
              .handle(ClusterClients::reasonCode)
              .join();
      codes.add(code);
      if (code >= 0x80 || code < 0) {
        Thread.sleep(200);
      }
    } while (code >= 0x80 || code < 0);
    assertThat(code)
        .as("the session's subscription survived (0x10 would mean it is gone); codes %s", codes)
        .isEqualTo(0x00);

    Mqtt5AsyncClient idle = ClusterClients.v5(port(2), "idle-sub");
    Collector got = Collector.on(idle, "idle-sub@n2");
    Mqtt5ConnAck ack = connect(idle, false, 300);
    assertThat(ack.isSessionPresent()).as("session of n3 present on n2").isTrue();
    assertThat(got.awaitCount("it/idle/x", 1, 15_000)).as("queued message delivered").isTrue();
    assertThat(got.on("it/idle/x").get(0).payload()).isEqualTo("queued");
    pub.publishWith()
        .topic("it/idle/y")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("live"))
        .send()
        .get(15, TimeUnit.SECONDS);
    assertThat(got.awaitCount("it/idle/y", 1, 15_000))
        .as("its subscription serves new messages")
        .isTrue();

    for (int node = 1; node <= 2; node++) {
      Mqtt5AsyncClient late = ClusterClients.v5(port(node), "late-retained-n" + node);
      Collector retained = Collector.on(late, "late@n" + node);
      connect(late, true, 0);
      late.subscribeWith()
          .topicFilter("it/kept/#")
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .get(10, TimeUnit.SECONDS);
      ClusterClients.await(() -> retained.all().size() >= RETAINED, 15_000);
      Set<String> payloads =
          retained.all().stream()
              .filter(Received::retain)
              .map(Received::payload)
              .collect(Collectors.toSet());
      Set<String> expected = new HashSet<>();
      for (int i = 0; i < RETAINED; i++) {
        expected.add("kept-" + i);
      }
      assertThat(payloads)
          .as("retained messages set through n3, read from n%d after the kill", node)
          .isEqualTo(expected);
      late.disconnect().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(5)
  void
      unacknowledgedQos1AndQos2MessagesOfTheKilledNodesSessionAreResentBySurvivorWithTheirPacketIds()
          throws Exception {
    killN3();
    cluster.awaitMembers(2, Duration.ofSeconds(30), 1, 2);
    try (RawMqttClient raw = RawMqttClient.open(port(2), 5)) {
      RawMqttClient.Packet connack =
          raw.connect(
              new RawMqttClient.Connect("unacked-sub").cleanStart(false).sessionExpiry(300));
      assertThat(connack.reasonCode()).isZero();
      assertThat(connack.sessionPresent()).as("session of n3 present on n2").isTrue();
      List<RawMqttClient.Packet> got = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        got.add(raw.poll(Duration.ofSeconds(10)));
      }
      assertThat(got).as("resent after the kill").doesNotContainNull();
      RawMqttClient.Packet u1 = got.get(0);
      RawMqttClient.Packet u2 = got.get(1);
      RawMqttClient.Packet u3 = got.get(2);
      assertThat(u1.type()).as("%s", u1).isEqualTo(RawMqttClient.PUBLISH);
      assertThat(u1.payloadText()).isEqualTo("u1");
      assertThat(u1.qos()).isEqualTo(1);
      assertThat(u1.dup()).as("u1 resent with DUP").isTrue();
      assertThat(u1.packetId()).isEqualTo(unackedIds.get("u1"));
      assertThat(u2.type()).as("%s", u2).isEqualTo(RawMqttClient.PUBLISH);
      assertThat(u2.payloadText()).isEqualTo("u2");
      assertThat(u2.qos()).isEqualTo(2);
      assertThat(u2.dup()).as("u2 resent with DUP").isTrue();
      assertThat(u2.packetId()).isEqualTo(unackedIds.get("u2"));
      // MQTT-4.4.0-1: a QoS 2 message already released is continued with PUBREL, not sent again
      assertThat(u3.type()).as("u3 continues with PUBREL: %s", u3).isEqualTo(RawMqttClient.PUBREL);
      assertThat(u3.packetId()).isEqualTo(unackedIds.get("u3"));
      raw.puback(u1.packetId());
      raw.pubrec(u2.packetId());
      assertThat(raw.expect(RawMqttClient.PUBREL).packetId()).isEqualTo(u2.packetId());
      raw.pubcomp(u2.packetId());
      raw.pubcomp(u3.packetId());
      assertThat(raw.drain(Duration.ofMillis(500))).as("nothing else").isEmpty();
      raw.disconnectWithSessionExpiry(0);
    }
  }
}
