package io.mqttgrid.cluster;

import static io.mqttgrid.cluster.ClusterClients.bytes;
import static io.mqttgrid.cluster.ClusterClients.millisSince;
import static io.mqttgrid.cluster.ClusterClients.reasonCode;
import static io.mqttgrid.cluster.ClusterClients.report;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import io.mqttgrid.cluster.ClusterClients.Collector;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TcpLoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of all three nodes (graceful stop, as an orchestrator's SIGTERM, then start
 * again and wait until the node is back in the cluster) while a QoS 1 stream flows from a publisher
 * to a persistent subscriber, both MQTT 5 clients behind the load balancer that reconnect whenever
 * their node goes away, as devices do. Every client of a stopping node gets DISCONNECT 0x8B (Server
 * shutting down) with the configured Server Reference; the subscriber's session follows it from
 * node to node; every message acknowledged to the publisher with a success code reaches the
 * subscriber (duplicates allowed).
 */
class RollingRestartClusterIT {

  private static final String SERVER_REFERENCE = "other-node";
  private static final String TOPIC = "it/rolling/data";
  private static final String SUBSCRIBER = "rolling-sub";
  private static final String PUBLISHER = "rolling-pub";

  /** Paced so that the subscriber's queue holds everything sent while it is away. */
  private static final int RATE_PER_SECOND = 400;

  private static final int WINDOW = 50;
  private static final int MAX_QUEUED = 20_000;

  private static ClusterFixture cluster;
  private static TcpLoadBalancer lb;
  private static final ExecutorService reconnector =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "rolling-reconnect");
            t.setDaemon(true);
            return t;
          });

  /**
   * Connects through the load balancer one at a time, so that its last backend is the node of that
   * client.
   */
  private static final Object lbConnect = new Object();

  private static final List<Disconnect> disconnects = new CopyOnWriteArrayList<>();
  private static final List<Link> links = new CopyOnWriteArrayList<>();
  private static final Collector received = new Collector(SUBSCRIBER);
  private static final List<Throwable> connectErrors = new CopyOnWriteArrayList<>();
  private static volatile boolean finished;

  /** A DISCONNECT (or a drop without one) a client saw while connected to {@code node}. */
  private record Disconnect(
      String client,
      String node,
      long atNanos,
      int reasonCode,
      String serverReference,
      String cause) {

    boolean asExpected() {
      return reasonCode == 0x8B && SERVER_REFERENCE.equals(serverReference);
    }

    @Override
    public String toString() {
      return String.format(
          "%s@%s: %s (%s)",
          client,
          node,
          reasonCode < 0
              ? "no DISCONNECT"
              : String.format("0x%02X", reasonCode)
                  + (serverReference == null
                      ? ", no Server Reference"
                      : ", Server Reference '" + serverReference + "'"),
          cause);
    }
  }

  /**
   * One client identity that stays connected: through the load balancer (node 0) or straight to one
   * node; when its connection ends it records how and connects again, a new HiveMQ client with the
   * same identifier.
   */
  private static final class Link {
    final String clientId;
    final int directNode;
    final boolean persistent;
    volatile Mqtt5AsyncClient current;
    volatile String node;
    final List<Boolean> sessionPresent = new CopyOnWriteArrayList<>();
    final List<String> nodes = new CopyOnWriteArrayList<>();
    final AtomicInteger connectAttempts = new AtomicInteger();

    Link(String clientId, int directNode, boolean persistent) {
      this.clientId = clientId;
      this.directNode = directNode;
      this.persistent = persistent;
      links.add(this);
    }

    /**
     * Connects (retrying for up to 60 s); the first time with Clean Start 1, after that as a
     * resumption.
     */
    Mqtt5ConnAck connect(boolean cleanStart) {
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        connectAttempts.incrementAndGet();
        AtomicBoolean wasConnected = new AtomicBoolean();
        var builder =
            MqttClient.builder()
                .useMqttVersion5()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(directNode == 0 ? lb.port() : cluster.node(directNode).mqttPort())
                .transportConfig()
                .socketConnectTimeout(3, TimeUnit.SECONDS)
                .mqttConnectTimeout(5, TimeUnit.SECONDS)
                .applyTransportConfig()
                .addConnectedListener(ctx -> wasConnected.set(true))
                .addDisconnectedListener(
                    ctx -> {
                      // connect attempts that fail are retried by the loop below; only a served
                      // connection counts
                      if (wasConnected.get()) {
                        dropped(ctx);
                      }
                    });
        Mqtt5AsyncClient c = builder.buildAsync();
        if (clientId.equals(SUBSCRIBER)) {
          c.publishes(MqttGlobalPublishFilter.ALL, received::add);
        }
        try {
          Mqtt5ConnAck ack;
          String at;
          if (directNode == 0) {
            synchronized (lbConnect) {
              ack =
                  c.connectWith()
                      .cleanStart(cleanStart)
                      .sessionExpiryInterval(persistent ? 300 : 0)
                      .send()
                      .get(10, TimeUnit.SECONDS);
              at = lb.lastBackend();
            }
          } else {
            ack =
                c.connectWith()
                    .cleanStart(cleanStart)
                    .sessionExpiryInterval(persistent ? 300 : 0)
                    .send()
                    .get(10, TimeUnit.SECONDS);
            at = cluster.node(directNode).id();
          }
          node = at;
          nodes.add(at);
          if (!cleanStart) {
            sessionPresent.add(ack.isSessionPresent());
          }
          current = c;
          return ack;
        } catch (Exception e) {
          c.disconnect().exceptionally(x -> null);
          if (System.nanoTime() > giveUp || finished) {
            throw new AssertionError(clientId + " could not connect within 60 s", e);
          }
          sleep(200);
        }
      }
    }

    private void dropped(MqttClientDisconnectedContext ctx) {
      current = null;
      Throwable cause = ctx.getCause();
      int code = -1;
      String reference = null;
      if (cause instanceof Mqtt5DisconnectException d) {
        Mqtt5Disconnect m = d.getMqttMessage();
        code = m.getReasonCode().getCode();
        reference = m.getServerReference().map(MqttUtf8String::toString).orElse(null);
      }
      if (finished) {
        return;
      }
      disconnects.add(
          new Disconnect(
              clientId, node, System.nanoTime(), code, reference, ctx.getSource() + " " + cause));
      if (directNode == 0) {
        // a bystander on one node comes back with its node; the stream's clients come back at once
        reconnector.execute(() -> reconnect(!persistent));
      }
    }

    void reconnect(boolean cleanStart) {
      try {
        connect(cleanStart);
      } catch (AssertionError e) {
        connectErrors.add(e);
      }
    }

    void close() {
      Mqtt5AsyncClient c = current;
      if (c != null) {
        c.disconnectWith()
            .sessionExpiryInterval(0)
            .send()
            .orTimeout(5, TimeUnit.SECONDS)
            .exceptionally(e -> null)
            .join();
      }
    }
  }

  @BeforeAll
  static void startCluster() {
    cluster =
        ClusterFixture.start(
            RollingRestartClusterIT.class.getSimpleName(),
            3,
            Map.of(
                "shutdown.server-reference",
                SERVER_REFERENCE,
                "session.max-queued-messages",
                String.valueOf(MAX_QUEUED),
                "session.max-queued-bytes",
                String.valueOf(64L << 20)));
    lb = cluster.loadBalancer();
    report(
        "rolling restart: 3 nodes formed one cluster in %d ms", cluster.formationTime().toMillis());
  }

  @AfterAll
  static void stopCluster() {
    finished = true;
    links.forEach(Link::close);
    reconnector.shutdownNow();
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void
      aRollingRestartUnderAQos1StreamLosesNoAcknowledgedMessageAndEveryClientGets0x8BWithServerReference()
          throws Exception {
    Link subscriber = new Link(SUBSCRIBER, 0, true);
    subscriber.connect(true);
    subscriber
        .current
        .subscribeWith()
        .topicFilter("it/rolling/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);
    Link publisher = new Link(PUBLISHER, 0, false);
    publisher.connect(true);
    List<Link> bystanders = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Link b = new Link("bystander-n" + i, i, false);
      b.connect(true);
      bystanders.add(b);
    }
    // the subscription reaches every node's route mirror a moment after SUBACK
    assertThat(
            ClusterClients.await(
                () -> {
                  Mqtt5AsyncClient p = publisher.current;
                  if (p != null) {
                    p.publishWith()
                        .topic("it/rolling/probe")
                        .qos(MqttQos.AT_MOST_ONCE)
                        .payload(bytes("p"))
                        .send();
                  }
                  return received.count("it/rolling/probe") > 0;
                },
                20_000))
        .as("the subscription is routed")
        .isTrue();

    Stream stream = new Stream(publisher);
    Thread pubThread = new Thread(stream, "rolling-publisher");
    pubThread.setDaemon(true);
    long start = System.nanoTime();
    pubThread.start();

    Map<Integer, long[]> stopWindows = new TreeMap<>();
    ClusterClients.await(() -> stream.acked.size() >= 1_000 || stream.error != null, 30_000);
    for (int i = 1; i <= 3; i++) {
      int ackedBefore = stream.acked.size();
      long stopAt = System.nanoTime();
      cluster.stop(i);
      long stoppedAt = System.nanoTime();
      stopWindows.put(i, new long[] {stopAt, stoppedAt});
      cluster.restart(i);
      cluster.awaitMembers(3, Duration.ofSeconds(60));
      report(
          "rolling restart: n%d stopped in %,d ms, back in the cluster %,d ms after the stop (acknowledged %,d "
              + "-> %,d meanwhile)",
          i,
          TimeUnit.NANOSECONDS.toMillis(stoppedAt - stopAt),
          millisSince(stopAt),
          ackedBefore,
          stream.acked.size());
      Link b = bystanders.get(i - 1);
      reconnector.execute(() -> b.reconnect(true));
      // the stream is flowing again before the next node goes
      int target = stream.acked.size() + 500;
      assertThat(
              ClusterClients.await(
                  () -> stream.acked.size() >= target || stream.error != null, 30_000))
          .as(
              "the stream flows again after n%d's restart; acknowledged %d, failures %s",
              i, stream.acked.size(), stream.failures)
          .isTrue();
    }
    stream.stopGenerating = true;
    pubThread.join(60_000);
    assertThat(stream.error).as("publisher").isNull();
    assertThat(pubThread.isAlive())
        .as(
            "publisher finished within 60 s of the last restart; %d acknowledged, "
                + "%d outstanding",
            stream.acked.size(), stream.generated.get() - stream.acked.size())
        .isFalse();

    Set<Integer> acked = new HashSet<>(stream.acked);
    boolean complete =
        ClusterClients.await(
            () -> new HashSet<>(received.sequence(TOPIC)).containsAll(acked), 30_000);
    long totalMs = millisSince(start);
    finished = true;
    List<Integer> all = received.sequence(TOPIC);
    Set<Integer> distinct = new HashSet<>(all);
    TreeSet<Integer> missing = new TreeSet<>(acked);
    missing.removeAll(distinct);

    report(
        "rolling restart: %,d QoS 1 messages acknowledged with success, %,d attempts (%,d retries; failed "
            + "attempts by reason code %s) in %,d ms",
        acked.size(),
        stream.attempts.get(),
        stream.attempts.get() - acked.size(),
        codes(stream.failures),
        totalMs);
    report(
        "rolling restart: subscriber received %,d messages (%,d distinct, %,d duplicates); acknowledged but "
            + "missing: %d%s",
        all.size(),
        distinct.size(),
        all.size() - distinct.size(),
        missing.size(),
        missing.isEmpty()
            ? ""
            : " e.g. "
                + missing.stream().limit(20).toList()
                + ", their PUBACK codes "
                + codes(
                    missing.stream()
                        .collect(
                            Collectors.groupingBy(
                                stream.ackCodes::get,
                                TreeMap::new,
                                Collectors.reducing(
                                    new AtomicInteger(),
                                    x -> new AtomicInteger(1),
                                    (a, b) -> new AtomicInteger(a.get() + b.get()))))));
    report(
        "rolling restart: subscriber on %s (session present on resumption: %s); publisher on %s",
        subscriber.nodes, subscriber.sessionPresent, publisher.nodes);
    for (Disconnect d : disconnects) {
      long[] w = stopWindows.get(Integer.parseInt(d.node().substring(1)));
      report(
          "rolling restart: disconnect %s, %s ms after its node's stop began",
          d,
          w == null
              ? "?"
              : String.format("%,d", TimeUnit.NANOSECONDS.toMillis(d.atNanos() - w[0])));
    }

    assertThat(connectErrors).as("reconnections").isEmpty();
    assertThat(disconnects)
        .as(
            "every client of a stopping node gets DISCONNECT 0x8B with Server Reference '%s'",
            SERVER_REFERENCE)
        .allMatch(Disconnect::asExpected);
    for (int i = 1; i <= 3; i++) {
      String node = "n" + i;
      assertThat(disconnects)
          .as("the bystander on %s was told", node)
          .anyMatch(d -> d.client().equals("bystander-" + node) && d.node().equals(node));
    }
    for (Link l : List.of(subscriber, publisher)) {
      // each of them was on some node when it stopped: every node stops once
      assertThat(disconnects)
          .as("%s was told at least once", l.clientId)
          .anyMatch(d -> d.client().equals(l.clientId));
      List<String> droppedOn =
          disconnects.stream()
              .filter(d -> d.client().equals(l.clientId))
              .map(Disconnect::node)
              .toList();
      assertThat(droppedOn)
          .as("%s dropped only by the node that stopped, once per connection to it", l.clientId)
          .doesNotHaveDuplicates();
    }
    assertThat(subscriber.sessionPresent)
        .as("the subscriber's session survived every hand-over")
        .isNotEmpty()
        .allMatch(Boolean::booleanValue);
    assertThat(complete && missing.isEmpty())
        .as(
            "every message acknowledged with success reaches the subscriber; missing %d: %s",
            missing.size(), missing.stream().limit(50).toList())
        .isTrue();
  }

  /**
   * The publisher: fresh sequence numbers at {@value #RATE_PER_SECOND}/s, and again any whose
   * PUBACK had a reason code >= 0x80 or did not come (the connection went, or 15 s passed); stops
   * when told and everything generated is acknowledged with success.
   */
  private static final class Stream implements Runnable {
    final Link publisher;
    final Set<Integer> acked = ConcurrentHashMap.newKeySet();

    /** The success code each acknowledged message got (0x00, or 0x10 No matching subscribers). */
    final Map<Integer, Integer> ackCodes = new ConcurrentHashMap<>();

    final Map<Integer, AtomicInteger> failures = new ConcurrentHashMap<>();
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger generated = new AtomicInteger();
    final LinkedBlockingQueue<Integer> retries = new LinkedBlockingQueue<>();
    final Semaphore window = new Semaphore(WINDOW);
    volatile boolean stopGenerating;
    volatile Throwable error;

    Stream(Link publisher) {
      this.publisher = publisher;
    }

    @Override
    public void run() {
      try {
        long begin = System.nanoTime();
        while (!(stopGenerating && acked.size() == generated.get())) {
          Mqtt5AsyncClient c = publisher.current;
          if (c == null) {
            Thread.sleep(20);
            continue;
          }
          Integer seq = retries.poll();
          if (seq == null
              && !stopGenerating
              && generated.get() < millisSince(begin) * RATE_PER_SECOND / 1000) {
            seq = generated.getAndIncrement();
          }
          if (seq == null) {
            Thread.sleep(5);
            continue;
          }
          if (!window.tryAcquire(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no PUBACK (nor timeout) for 30 s");
          }
          attempts.incrementAndGet();
          int s = seq;
          c.publishWith()
              .topic(TOPIC)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes(String.valueOf(s)))
              .send()
              .orTimeout(15, TimeUnit.SECONDS)
              .whenComplete(
                  (r, e) -> {
                    int code = reasonCode(r, e);
                    if (code >= 0 && code < 0x80) {
                      acked.add(s);
                      ackCodes.put(s, code);
                    } else {
                      failures.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                      retries.add(s);
                    }
                    window.release();
                  });
        }
      } catch (Throwable t) {
        error = t;
      }
    }
  }

  private static String codes(Map<Integer, AtomicInteger> counts) {
    return new TreeMap<>(counts)
        .entrySet().stream()
            .map(
                e ->
                    (e.getKey() < 0 ? "no PUBACK" : String.format("0x%02X", e.getKey()))
                        + "="
                        + e.getValue())
            .collect(Collectors.joining(", ", "{", "}"));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
