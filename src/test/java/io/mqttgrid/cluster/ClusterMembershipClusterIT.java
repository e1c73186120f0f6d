package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TcpLoadBalancer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three broker JVMs on loopback form one Hazelcast cluster behind a TCP load balancer; nodes are
 * killed (kill -9), stopped and restarted for real. Split-brain protection is on with a majority of
 * 2: a node that sees fewer members must stop serving. The tests run in order on one cluster and
 * say what they leave.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterMembershipClusterIT {

  private static final Duration MEMBERSHIP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(90);
  private static final int FLEET = 20;

  private static ClusterFixture cluster;
  private static TcpLoadBalancer lb;
  private final List<Mqtt5BlockingClient> clients = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startCluster() {
    // all three JVMs at once, as a Deployment starts its pods: they must still form one cluster
    cluster =
        ClusterFixture.startTogether(
            ClusterMembershipClusterIT.class.getSimpleName(),
            3,
            Map.of(
                "cluster.split-brain-protection.enabled",
                "true",
                "cluster.split-brain-protection.minimum-members",
                "2"));
    lb = cluster.loadBalancer();
    report(
        "3 nodes launched together formed one cluster in %d ms",
        cluster.formationTime().toMillis());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void disconnectClients() {
    for (Mqtt5BlockingClient c : clients) {
      try {
        if (c.getState().isConnected()) {
          c.disconnect();
        }
      } catch (RuntimeException e) {
        // its node may be gone
      }
    }
  }

  @Test
  @Order(1)
  void threeNodesFormOneClusterAndEachReportsItWhenReady() {
    for (int i = 1; i <= 3; i++) {
      JsonObject health = cluster.health(i).orElseThrow();
      assertThat(health.getString("status")).as("n%d status", i).isEqualTo("UP");
      assertThat(health.getString("node")).isEqualTo("n" + i);
      assertThat(health.getInteger("members")).as("members seen by n%d", i).isEqualTo(3);
    }
  }

  @Test
  @Order(2)
  void clientsThroughTheLoadBalancerPublishAndSubscribeOnTheNodeTheyLandOn() {
    Set<String> landedOn = new HashSet<>();
    for (int k = 0; k < 3; k++) {
      Mqtt5BlockingClient client = throughLoadBalancer("roundrobin-" + k, Duration.ofSeconds(10));
      landedOn.add(lb.lastBackend());
      assertThat(echo(client, "it/membership/rr/" + k, "hello " + k)).isTrue();
    }
    // three clients in a row go round robin to the three nodes, and each node served its client
    assertThat(landedOn).containsExactlyInAnyOrder("n1", "n2", "n3");
  }

  @Test
  @Order(3)
  void afterKillMinus9TheSurvivorsSeeTwoMembersAndNewClientsAreServedBySurvivors()
      throws Exception {
    // a client on the node about to die must see its connection drop through the load balancer
    Watched onVictim = connectedTo("n3", "victim");
    long killedAt = System.nanoTime();
    cluster.kill(3);
    CompletableFuture<Long> membersTwo =
        CompletableFuture.supplyAsync(
            () -> {
              cluster.awaitMembers(2, MEMBERSHIP_TIMEOUT, 1, 2);
              return millisSince(killedAt);
            });

    // a fleet of devices (necessarily on the survivors: n3's process is gone) arriving from the
    // moment of the kill, each retrying until it is connected through the
    // load balancer, subscribed, and has its own message back; their ids spread over all
    // partitions, also
    // those the dead node owned until the survivors take them over
    ExecutorService fleet = Executors.newFixedThreadPool(FLEET);
    List<Future<Served>> served = new ArrayList<>();
    try {
      for (int k = 0; k < FLEET; k++) {
        String id = "after-kill-" + k;
        served.add(fleet.submit(() -> serveUntilAnswered(id, killedAt)));
      }
      List<Long> times = new ArrayList<>();
      for (Future<Served> f : served) {
        times.add(f.get(90, TimeUnit.SECONDS).millis());
      }
      Collections.sort(times);
      long membersTwoMs = membersTwo.get(MEMBERSHIP_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
      report(
          "kill -9 of n3: %d new clients served again after %d ms (first) / %d ms (median) / %d ms (last); "
              + "survivors report 2 members after %d ms",
          FLEET, times.get(0), times.get(FLEET / 2), times.get(FLEET - 1), membersTwoMs);
    } finally {
      fleet.shutdownNow();
    }
    assertThat(onVictim.dropped().await(10, TimeUnit.SECONDS))
        .as("client on n3 sees its connection drop")
        .isTrue();

    for (int k = 0; k < 4; k++) {
      Mqtt5BlockingClient c = throughLoadBalancer("survivor-" + k, Duration.ofSeconds(10));
      assertThat(lb.lastBackend()).as("new client %d goes to a survivor", k).isIn("n1", "n2");
      assertThat(echo(c, "it/membership/survivor/" + k, "m" + k)).isTrue();
    }
    assertThat(lb.isHealthy("n3")).isFalse();
  }

  @Test
  @Order(4)
  void theKilledNodeRestartedWithTheSameSettingsRejoinsAndServesClientsAgain() {
    long restartedAt = System.nanoTime();
    cluster.restart(3);
    cluster.awaitMembers(3, JOIN_TIMEOUT, 3, 1, 2);
    long joinedMs = millisSince(restartedAt);
    report(
        "restarted n3 (new JVM, same settings) rejoined: all 3 nodes report 3 members %d ms after launch",
        joinedMs);

    awaitHealthyInLoadBalancer("n3");
    Set<String> landedOn = new HashSet<>();
    for (int k = 0; k < 3; k++) {
      Mqtt5BlockingClient c = throughLoadBalancer("rejoined-" + k, Duration.ofSeconds(10));
      landedOn.add(lb.lastBackend());
      assertThat(echo(c, "it/membership/rejoined/" + k, "back " + k)).isTrue();
    }
    assertThat(landedOn).contains("n3");
  }

  @Test
  @Order(5)
  void aGracefullyStoppedNodeLeavesAtOnceAndTellsItsClients() throws Exception {
    Watched onLeaving = connectedTo("n2", "leaving");
    long stoppedAt = System.nanoTime();
    cluster.stop(2);
    long exitedMs = millisSince(stoppedAt);
    assertThat(onLeaving.dropped().await(10, TimeUnit.SECONDS))
        .as("client on n2 disconnected")
        .isTrue();
    assertThat(onLeaving.cause().get())
        .isInstanceOfSatisfying(
            Mqtt5DisconnectException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5DisconnectReasonCode.SERVER_SHUTTING_DOWN));
    cluster.awaitMembers(2, MEMBERSHIP_TIMEOUT, 1, 3);
    report(
        "graceful stop of n2: process exited after %d ms; survivors report 2 members after %d ms",
        exitedMs, millisSince(stoppedAt));
    Mqtt5BlockingClient c = throughLoadBalancer("after-stop", Duration.ofSeconds(10));
    assertThat(lb.lastBackend()).isIn("n1", "n3");
    assertThat(echo(c, "it/membership/after-stop", "bye")).isTrue();
  }

  private record Served(String clientId, long millis) {}

  /** Retries one device until it is served end to end; the time is counted from {@code since}. */
  private Served serveUntilAnswered(String clientId, long since) throws InterruptedException {
    while (true) {
      assertThat(millisSince(since))
          .as("%s served within 60 s of the kill", clientId)
          .isLessThan(60_000);
      try {
        Mqtt5BlockingClient c = throughLoadBalancer(clientId, Duration.ofSeconds(5));
        if (echo(c, "it/membership/after-kill/" + clientId, "still here")) {
          return new Served(clientId, millisSince(since));
        }
      } catch (RuntimeException e) {
        Thread.sleep(50);
      }
    }
  }

  private record Watched(
      Mqtt5BlockingClient client, CountDownLatch dropped, AtomicReference<Throwable> cause) {}

  @Test
  @Order(6)
  void aNodeLeftAloneBelowTheMajorityReportsNotReadyAndRefusesClientsUntilAPeerReturns()
      throws Exception {
    // left by test 5: n1 and n3 running
    cluster.kill(3);
    JsonObject alone =
        cluster.awaitHealth(
            1,
            MEMBERSHIP_TIMEOUT,
            h -> h.getInteger("members", -1) == 1 && "DOWN".equals(h.getString("status")));
    assertThat(alone.getString("node")).isEqualTo("n1");

    // straight to the node: its session store refuses, so the CONNECT does too (0x88 Server
    // unavailable)
    Mqtt5BlockingClient direct = cluster.v5(1, "minority-direct");
    clients.add(direct);
    assertThatThrownBy(direct::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.SERVER_UNAVAILABLE));
    // and the load balancer, which sees no ready node, sends nobody there
    awaitUnhealthyInLoadBalancer("n1");
    assertThatThrownBy(() -> throughLoadBalancer("minority-lb", Duration.ofSeconds(3)))
        .isInstanceOf(RuntimeException.class);

    cluster.restart(2);
    cluster.awaitMembers(2, JOIN_TIMEOUT, 1, 2);
    awaitHealthyInLoadBalancer("n1");
    Mqtt5BlockingClient back = cluster.v5(1, "majority-again");
    back.connect();
    clients.add(back);
    assertThat(echo(back, "it/membership/majority-again", "served")).isTrue();
  }

  /**
   * Connects clients through the load balancer until one lands on {@code node}; the others leave
   * again.
   */
  private Watched connectedTo(String node, String prefix) {
    for (int k = 0; k < 3; k++) {
      CountDownLatch dropped = new CountDownLatch(1);
      AtomicReference<Throwable> cause = new AtomicReference<>();
      Mqtt5BlockingClient c =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier(prefix + "-" + k)
              .serverHost(lb.host())
              .serverPort(lb.port())
              .addDisconnectedListener(
                  ctx -> {
                    cause.set(ctx.getCause());
                    dropped.countDown();
                  })
              .buildBlocking();
      c.connect();
      clients.add(c);
      if (node.equals(lb.lastBackend())) {
        return new Watched(c, dropped, cause);
      }
      c.disconnect();
    }
    throw new AssertionError("none of three round-robin clients landed on " + node);
  }

  /**
   * Connects a clean MQTT 5 client through the load balancer; throws if it is not connected in
   * time.
   */
  private Mqtt5BlockingClient throughLoadBalancer(String clientId, Duration timeout) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost(lb.host())
            .serverPort(lb.port())
            .transportConfig()
            .socketConnectTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .mqttConnectTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .applyTransportConfig()
            .buildBlocking();
    c.connectWith().cleanStart(true).send();
    clients.add(c);
    return c;
  }

  /**
   * Subscribes, publishes at QoS 1 on the same connection and waits for the message to come back.
   */
  private static boolean echo(Mqtt5BlockingClient client, String topic, String text) {
    try (Mqtt5BlockingClient.Mqtt5Publishes publishes =
        client.publishes(MqttGlobalPublishFilter.ALL)) {
      client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
      client
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(text.getBytes(StandardCharsets.UTF_8))
          .send();
      Optional<Mqtt5Publish> received = publishes.receive(10, TimeUnit.SECONDS);
      return received.isPresent()
          && received.get().getTopic().toString().equals(topic)
          && text.equals(new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void awaitUnhealthyInLoadBalancer(String node) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (lb.isHealthy(node) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    assertThat(lb.isHealthy(node)).as("load balancer takes %s out", node).isFalse();
  }

  private static void awaitHealthyInLoadBalancer(String node) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!lb.isHealthy(node) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    assertThat(lb.isHealthy(node)).as("load balancer sees %s healthy", node).isTrue();
  }

  private static long millisSince(long nanoTime) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoTime);
  }

  private static void report(String format, Object... args) {
    System.out.printf("[cluster] " + format + "%n", args);
  }
}
