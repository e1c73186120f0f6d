package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TestPostgres;
import io.mqttgrid.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent sessions across a kill -9 of every node (separate JVMs from the packaged jar): the
 * session comes back offline with its subscriptions routed, a v5 client reconnecting with clean
 * start 0 gets Session Present 1 and every QoS 1 message acknowledged to its publisher, whether
 * published before the kill or while it was away after the restart.
 */
class SessionPersistenceClusterIT {

  private static final long EXPIRY = 3600;

  /** Room for every message of a test in an offline queue: what is asserted is persistence. */
  private static final String QUEUE = "1000";

  @TempDir Path dir;

  @Test
  void aSingleNodeOnTheEmbeddedStoreKeepsSessionsAndTheirQueuesAcrossAKill9() throws Exception {
    try (ClusterFixture node =
        embeddedNode("embedded", Map.of("session.max-queued-messages", QUEUE))) {
      offlineSubscriber(node, 1, "keeper", EXPIRY, "queue/#");
      // a session that must have expired by the time it is asked for: its expiry counts on from
      // when it went offline, not from the restart
      offlineSubscriber(node, 1, "short-lived", 8, "queue/#");
      long shortOffline = System.currentTimeMillis();

      List<String> expected = new ArrayList<>();
      Mqtt5BlockingClient pub = connect(node, 1, "publisher", true, 0);
      for (int i = 0; i < 150; i++) {
        expected.add(publish(pub, "queue/a", "before-" + i));
      }
      node.kill(1);
      bringBack(node);
      assertThat(Files.readString(node.node(1).log())).contains("sessions brought back");

      // routed again while its client is away: queued
      pub = connect(node, 1, "publisher", true, 0);
      for (int i = 0; i < 50; i++) {
        expected.add(publish(pub, "queue/b", "after-" + i));
      }
      pub.disconnect();

      long wait = shortOffline + 9_000 - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
      Mqtt5BlockingClient shortLived = node.v5(1, "short-lived");
      assertThat(
              shortLived
                  .connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(8)
                  .send()
                  .isSessionPresent())
          .as("a session 9 s offline with an 8 s expiry")
          .isFalse();
      shortLived.disconnect();

      assertThat(receiveAll(node, 1, "keeper", expected.size())).containsAll(expected);
    }
  }

  @Test
  void aSessionBroughtBackKeepsItsOwnerSoAnotherAuthenticationNameCannotTakeIt() throws Exception {
    TestTokens tokens = TestTokens.create();
    Path namespace = tokens.writeNamespace(dir);
    try (ClusterFixture node =
        embeddedNode("owners", Map.of("namespace.file", namespace.toString()))) {
      Mqtt3BlockingClient alice = node.v3(1, "owned-device");
      connectPersistent(alice, tokens.token("alice"));
      alice.subscribeWith().topicFilter("retained/owned").qos(MqttQos.AT_LEAST_ONCE).send();
      alice.disconnect();
      // the owner is written behind (about a second): a crash later than that keeps it
      Thread.sleep(5_000);
      node.kill(1);
      bringBack(node);

      Mqtt3BlockingClient mallory = node.v3(1, "owned-device");
      assertThatThrownBy(() -> connectPersistent(mallory, tokens.token("mallory")))
          .as("another authentication name taking the session brought back")
          .isInstanceOfSatisfying(
              Mqtt3ConnAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReturnCode())
                      .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));

      Mqtt3BlockingClient back = node.v3(1, "owned-device");
      assertThat(connectPersistent(back, tokens.token("alice")).isSessionPresent()).isTrue();
      back.disconnect();
    }
  }

  /**
   * A session that connected again (its queue claimed anew, empty, and its subscription sent again)
   * before a kill -9: neither is written to the database, which still names the first connection as
   * its queue's owner. Brought back, the session takes what is published to it: a copy that found
   * its queue owned by another connection would stop routing, and the publishes would be answered
   * "no matching subscribers".
   */
  @Test
  void aSessionThatReconnectedWithAnEmptyQueueBeforeAKill9TakesWhatIsPublishedAfterTheRestart()
      throws Exception {
    try (ClusterFixture node =
        embeddedNode("reconnected", Map.of("session.max-queued-messages", QUEUE))) {
      offlineSubscriber(node, 1, "reconnecter", EXPIRY, "reconnect/#");
      // a message through the queue: stored with the first connection as its owner, then
      // acknowledged by the second connection
      Mqtt5BlockingClient pub = connect(node, 1, "publisher", true, 0);
      String first = publish(pub, "reconnect/a", "first");
      pub.disconnect();
      assertThat(receiveAll(node, 1, "reconnecter", 1)).containsExactly(first);
      Mqtt5BlockingClient again = connect(node, 1, "reconnecter", false, EXPIRY);
      again.subscribeWith().topicFilter("reconnect/#").qos(MqttQos.AT_LEAST_ONCE).send();
      again.disconnect();
      node.kill(1);
      bringBack(node);

      pub = connect(node, 1, "publisher", true, 0);
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        expected.add(publish(pub, "reconnect/b", "after-" + i));
      }
      pub.disconnect();
      assertThat(receiveAll(node, 1, "reconnecter", expected.size() + 1)).containsAll(expected);
    }
  }

  @Test
  void withWriteBehindAGracefulStopWritesWhatTheBatchHolds() throws Exception {
    try (ClusterFixture node =
        embeddedNode(
            "behind",
            Map.of(
                "persistence.session-queue-write",
                "behind",
                // longer than the test: only the stop writes the queue
                "persistence.session-queue-write-behind-ms",
                "60000"))) {
      offlineSubscriber(node, 1, "behind-keeper", EXPIRY, "behind/#");
      List<String> expected = new ArrayList<>();
      Mqtt5BlockingClient pub = connect(node, 1, "behind-publisher", true, 0);
      for (int i = 0; i < 50; i++) {
        expected.add(publish(pub, "behind/a", "b-" + i));
      }
      pub.disconnect();
      node.stop(1);
      bringBack(node);
      assertThat(Files.readString(node.node(1).log()))
          .contains("session queues write-behind 60000 ms");
      assertThat(receiveAll(node, 1, "behind-keeper", expected.size())).containsAll(expected);
    }
  }

  @Test
  void threeNodesKilledDuringAQos1StreamDeliverEveryAcknowledgedMessageAfter() throws Exception {
    try (TestPostgres postgres = TestPostgres.start();
        ClusterFixture cluster =
            ClusterFixture.start(
                SessionPersistenceClusterIT.class.getSimpleName() + "-postgres",
                3,
                Map.of(
                    "persistence.store",
                    "postgres",
                    "persistence.postgres.url",
                    postgres.newDatabase(),
                    "persistence.postgres.user",
                    postgres.user(),
                    "persistence.postgres.pool-size",
                    "3",
                    "session.max-queued-messages",
                    QUEUE))) {
      // one subscriber connected during the stream, one on each other node offline
      Map<String, Integer> subscribers = Map.of("online-1", 1, "offline-2", 2, "offline-3", 3);
      Map<String, Set<String>> before = new HashMap<>();
      Mqtt5BlockingClient online = connect(cluster, 1, "online-1", true, EXPIRY);
      Set<String> onlineGot = ConcurrentHashMap.newKeySet();
      online
          .toAsync()
          .publishes(
              MqttGlobalPublishFilter.ALL,
              p -> onlineGot.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
      online.subscribeWith().topicFilter("stream/#").qos(MqttQos.AT_LEAST_ONCE).send();
      before.put("online-1", onlineGot);
      offlineSubscriber(cluster, 2, "offline-2", EXPIRY, "stream/#");
      offlineSubscriber(cluster, 3, "offline-3", EXPIRY, "stream/#");
      before.put("offline-2", Set.of());
      before.put("offline-3", Set.of());

      // a QoS 1 stream from node 3: what its PUBACK acknowledged is what must come back
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicReference<Throwable> streamEnd = new AtomicReference<>();
      Mqtt5BlockingClient pub = connect(cluster, 3, "streamer", true, 0);
      Thread stream =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 400; i++) {
                    acknowledged.add(publish(pub, "stream/t", "s-" + i));
                  }
                } catch (RuntimeException e) {
                  streamEnd.set(e);
                }
              });
      stream.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledged.size() < 150 && stream.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(acknowledged.size()).as("acknowledged before the kill").isGreaterThan(100);
      for (int i = 1; i <= 3; i++) {
        cluster.kill(i);
      }
      stream.join(30_000);
      Set<String> acknowledgedBeforeKill = new LinkedHashSet<>(acknowledged);

      for (int i = 1; i <= 3; i++) {
        cluster.restart(i);
        if (i == 1) {
          cluster.awaitReady(1, Duration.ofSeconds(90));
        }
      }
      cluster.awaitMembers(3, Duration.ofSeconds(120));

      for (Map.Entry<String, Integer> s : subscribers.entrySet()) {
        Set<String> got = new LinkedHashSet<>(before.get(s.getKey()));
        Set<String> missing = new LinkedHashSet<>(acknowledgedBeforeKill);
        missing.removeAll(got);
        got.addAll(receiveAll(cluster, s.getValue(), s.getKey(), missing.size()));
        assertThat(got)
            .as("%s: every message acknowledged before the kill", s.getKey())
            .containsAll(acknowledgedBeforeKill);
      }
    }
  }

  @Test
  void aPipelinedQos1StreamKeepsEveryAcknowledgedMessageInOrderAcrossAKill9() throws Exception {
    try (ClusterFixture node =
        embeddedNode("pipelined", Map.of("session.max-queued-messages", "5000"))) {
      offlineSubscriber(node, 1, "keeper", EXPIRY, "pipe/#");
      // published without waiting for each PUBACK (up to the Receive Maximum in flight): the
      // session stores them in batches, and a PUBACK must still mean stored
      Mqtt5AsyncClient pub = connect(node, 1, "streamer", true, 0).toAsync();
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      int messages = 3000;
      for (int i = 0; i < messages; i++) {
        String payload = "p-" + i;
        pub.publishWith()
            .topic("pipe/t")
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload.getBytes(StandardCharsets.UTF_8))
            .send()
            .thenAccept(
                r -> {
                  if (r.getError().isEmpty()) {
                    acknowledged.add(payload);
                  }
                });
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledged.size() < 500 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(acknowledged.size())
          .as("acknowledged before the kill")
          .isGreaterThanOrEqualTo(500);
      node.kill(1);
      Set<String> acknowledgedBeforeKill = new HashSet<>(acknowledged);
      bringBack(node);

      Set<String> got =
          receiveUntil(node, 1, "keeper", received -> received.containsAll(acknowledgedBeforeKill));
      assertThat(got)
          .as("every message acknowledged before the kill")
          .containsAll(acknowledgedBeforeKill);
      List<Integer> order = got.stream().map(p -> Integer.parseInt(p.substring(2))).toList();
      assertThat(order).as("in the order they were published").isSorted();
    }
  }

  /** A persistent session subscribed to {@code filter}, left offline. */
  private static void offlineSubscriber(
      ClusterFixture cluster, int node, String clientId, long expiry, String filter) {
    Mqtt5BlockingClient c = connect(cluster, node, clientId, true, expiry);
    c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
    c.disconnect();
  }

  /** Publishes at QoS 1 and waits for the PUBACK; answers the payload. */
  private static String publish(Mqtt5BlockingClient pub, String topic, String payload) {
    var ack =
        pub.publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload.getBytes(StandardCharsets.UTF_8))
            .send();
    assertThat(ack.getError()).as(payload).isEmpty();
    return payload;
  }

  /**
   * Reconnects {@code clientId} with clean start 0 (Session Present 1 expected) and answers the
   * payloads received until {@code count} distinct ones came or nothing more came for 15 s.
   */
  private static Set<String> receiveAll(
      ClusterFixture cluster, int node, String clientId, int count) throws Exception {
    return receiveUntil(cluster, node, clientId, got -> got.size() >= count);
  }

  /**
   * Reconnects {@code clientId} with clean start 0 (Session Present 1 expected) and answers the
   * distinct payloads received, in their order, until they are {@code enough} or nothing more came
   * for 15 s.
   */
  private static Set<String> receiveUntil(
      ClusterFixture cluster, int node, String clientId, Predicate<Set<String>> enough)
      throws Exception {
    Mqtt5BlockingClient c = cluster.v5(node, clientId);
    Set<String> got = new LinkedHashSet<>();
    try (Mqtt5BlockingClient.Mqtt5Publishes received = c.publishes(MqttGlobalPublishFilter.ALL)) {
      assertThat(
              c.connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(EXPIRY)
                  .send()
                  .isSessionPresent())
          .as("%s: Session Present", clientId)
          .isTrue();
      while (!enough.test(got)) {
        var p = received.receive(15, TimeUnit.SECONDS);
        if (p.isEmpty()) {
          break;
        }
        Mqtt5Publish m = p.get();
        got.add(new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8));
      }
    }
    c.disconnect();
    return got;
  }

  /**
   * One node of its own (a one-member cluster) on the embedded store, in a directory of its own
   * named after {@code name}, with {@code settings} besides.
   */
  private ClusterFixture embeddedNode(String name, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("cluster.mode", "local");
    all.put("persistence.store", "embedded");
    all.put("persistence.embedded.directory", dir.resolve("data-" + name).toString());
    return ClusterFixture.start(
        SessionPersistenceClusterIT.class.getSimpleName() + "-" + name, 1, all);
  }

  /** Starts the one node again, after a kill or a stop, and waits until it is ready. */
  private static void bringBack(ClusterFixture node) {
    node.restart(1);
    node.awaitReady(1, Duration.ofSeconds(90));
  }

  private static Mqtt5BlockingClient connect(
      ClusterFixture cluster, int node, String clientId, boolean cleanStart, long expiry) {
    Mqtt5BlockingClient c = cluster.v5(node, clientId);
    c.connectWith().cleanStart(cleanStart).sessionExpiryInterval(expiry).send();
    return c;
  }

  /** Connects {@code client} with clean session 0, authenticated by the JWT {@code token}. */
  private static Mqtt3ConnAck connectPersistent(Mqtt3BlockingClient client, String token) {
    return client
        .connectWith()
        .cleanSession(false)
        .simpleAuth()
        .username("CUSTOM-JWT")
        .password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
  }
}
