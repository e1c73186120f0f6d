package io.mqttgrid.cluster;

import static io.mqttgrid.cluster.ClusterClients.awaitRoutes;
import static io.mqttgrid.cluster.ClusterClients.bytes;
import static io.mqttgrid.cluster.ClusterClients.millisSince;
import static io.mqttgrid.cluster.ClusterClients.reasonCodes;
import static io.mqttgrid.cluster.ClusterClients.report;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.mqttgrid.cluster.ClusterClients.Collector;
import io.mqttgrid.cluster.ClusterClients.Received;
import io.mqttgrid.testing.ClusterFixture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three broker JVMs in one cluster: a publish on one node reaches subscribers on the others in
 * publish order, a shared group spread over the nodes gets each message once, retained messages set
 * through any node are served by every node. Also measures what crossing a node costs against
 * staying on one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRoutingClusterIT {

  private static final int ORDERED = 2_000;
  private static final int THROUGHPUT = 20_000;

  /** Persistent sessions write each message to Hazelcast: fewer messages keep the run short. */
  private static final int DURABLE_THROUGHPUT = 5_000;

  private static ClusterFixture cluster;
  private final List<Runnable> cleanup = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startCluster() {
    // a publisher on the subscriber's own node outruns the subscriber's window by more than the
    // default
    // 10,000 pending messages in a 20,000-message burst, and drop-new then drops (documented): the
    // throughput runs compare the paths without that bound
    cluster =
        ClusterFixture.start(
            ClusterRoutingClusterIT.class.getSimpleName(),
            3,
            Map.of("session.max-pending-messages", String.valueOf(2 * THROUGHPUT)));
    report("routing: 3 nodes formed one cluster in %d ms", cluster.formationTime().toMillis());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void disconnect() {
    cleanup.forEach(Runnable::run);
  }

  private int port(int node) {
    return cluster.node(node).mqttPort();
  }

  private Mqtt5AsyncClient connectedV5(int node, String id) {
    Mqtt5AsyncClient c = ClusterClients.v5(port(node), id);
    c.connectWith().cleanStart(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    cleanup.add(
        () -> c.disconnect().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join());
    return c;
  }

  private Collector subscriberV5(
      int node, String id, String filter, MqttQos qos, long sessionExpiry) {
    Mqtt5AsyncClient c = ClusterClients.v5(port(node), id);
    Collector collector = Collector.on(c, id + "(v5@n" + node + " " + filter + ")");
    c.connectWith()
        .cleanStart(true)
        .sessionExpiryInterval(sessionExpiry)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    c.subscribeWith().topicFilter(filter).qos(qos).send().orTimeout(10, TimeUnit.SECONDS).join();
    // the session ends with the test: a persistent one is closed with expiry 0
    cleanup.add(
        () ->
            c.disconnectWith()
                .sessionExpiryInterval(0)
                .send()
                .orTimeout(5, TimeUnit.SECONDS)
                .exceptionally(e -> null)
                .join());
    return collector;
  }

  private Collector subscriberV3(int node, String id, String filter, MqttQos qos) {
    Mqtt3AsyncClient c = ClusterClients.v3(port(node), id);
    Collector collector = Collector.on(c, id + "(v3.1.1@n" + node + " " + filter + ")");
    c.connectWith().cleanSession(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    c.subscribeWith().topicFilter(filter).qos(qos).send().orTimeout(10, TimeUnit.SECONDS).join();
    cleanup.add(
        () -> c.disconnect().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join());
    return collector;
  }

  private static List<Integer> upTo(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  @Order(1)
  void aPublishOnOneNodeReachesV5AndV311SubscribersOnTheOtherNodesInPublishOrderAtEveryQos()
      throws Exception {
    List<Collector> subs =
        List.of(
            subscriberV5(2, "order-v5-n2", "it/order/+", MqttQos.EXACTLY_ONCE, 0),
            subscriberV3(2, "order-v3-n2", "it/order/#", MqttQos.EXACTLY_ONCE),
            subscriberV5(3, "order-v5-persistent-n3", "it/+/+", MqttQos.EXACTLY_ONCE, 300),
            subscriberV3(3, "order-v3-n3", "it/order/#", MqttQos.EXACTLY_ONCE));
    Mqtt5AsyncClient pub = connectedV5(1, "order-pub-n1");
    awaitRoutes(pub, "it/order/probe", subs);

    for (MqttQos qos : MqttQos.values()) {
      // MQTT 4.6: order holds per topic and QoS, so each QoS is its own stream
      String topic = "it/order/q" + qos.getCode();
      long start = System.nanoTime();
      List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>(ORDERED);
      for (int i = 0; i < ORDERED; i++) {
        sent.add(pub.publishWith().topic(topic).qos(qos).payload(bytes(String.valueOf(i))).send());
      }
      if (qos != MqttQos.AT_MOST_ONCE) {
        assertThat(reasonCodes(sent, 60))
            .as("PUBACK/PUBREC reason codes at %s", qos)
            .allMatch(code -> code == 0x00);
      }
      for (Collector c : subs) {
        if (qos == MqttQos.AT_MOST_ONCE) {
          c.awaitCountOrQuiet(topic, ORDERED, 3_000, 60_000);
        } else {
          c.awaitCount(topic, ORDERED, 60_000);
        }
      }
      long ms = millisSince(start);
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (Collector c : subs) {
        List<Integer> seq = c.sequence(topic);
        counts.put(c.name, seq.size());
        if (qos == MqttQos.AT_MOST_ONCE) {
          // QoS 0 may lose a message under load (a slow subscriber's buffer is bounded), never
          // reorder one
          assertThat(seq)
              .as("%s at QoS 0: publish order, no duplicates", c)
              .isSorted()
              .doesNotHaveDuplicates();
        } else {
          assertThat(seq)
              .as("%s at %s: every message once, in publish order", c, qos)
              .isEqualTo(upTo(ORDERED));
        }
      }
      report(
          "order: %d messages at QoS %d from n1 to 4 subscribers on n2/n3 in %d ms; received %s",
          ORDERED, qos.getCode(), ms, counts);
    }
  }

  private record Run(String where, int qos, int sent, int received, long millis) {
    double perSecond() {
      return received * 1000.0 / Math.max(1, millis);
    }
  }

  @Test
  @Order(2)
  void
      aPublishThatCrossesNodesArrivesCompletelyAndItsThroughputIsMeasuredAgainstOneThatStaysOnTheNode()
          throws Exception {
    Mqtt5AsyncClient pub = connectedV5(1, "tp-pub-n1");
    Collector local = subscriberV5(1, "tp-sub-n1", "it/tp/local/#", MqttQos.AT_LEAST_ONCE, 0);
    Collector remote = subscriberV5(2, "tp-sub-n2", "it/tp/remote/#", MqttQos.AT_LEAST_ONCE, 0);
    // persistent sessions: every QoS 1 message is written to the session's queue in Hazelcast first
    Collector localDurable =
        subscriberV5(1, "tp-durable-n1", "it/tpd/local/#", MqttQos.AT_LEAST_ONCE, 300);
    Collector remoteDurable =
        subscriberV5(2, "tp-durable-n2", "it/tpd/remote/#", MqttQos.AT_LEAST_ONCE, 300);
    awaitRoutes(pub, "it/tp/local/probe", List.of(local));
    awaitRoutes(pub, "it/tp/remote/probe", List.of(remote));
    awaitRoutes(pub, "it/tpd/local/probe", List.of(localDurable));
    awaitRoutes(pub, "it/tpd/remote/probe", List.of(remoteDurable));

    // warm both paths up (JIT, connections between the nodes) before measuring
    run(pub, local, "it/tp/local/warm", MqttQos.AT_LEAST_ONCE, 2_000);
    run(pub, remote, "it/tp/remote/warm", MqttQos.AT_LEAST_ONCE, 2_000);

    // three rounds, same node and other node in turn; the median of each is reported
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    for (int round = 1; round <= 3; round++) {
      for (MqttQos qos : List.of(MqttQos.AT_MOST_ONCE, MqttQos.AT_LEAST_ONCE)) {
        measure(
            runs,
            "same node  (n1 -> n1), clean session",
            qos,
            run(pub, local, "it/tp/local/q" + qos.getCode() + "/" + round, qos, THROUGHPUT));
        measure(
            runs,
            "other node (n1 -> n2), clean session",
            qos,
            run(pub, remote, "it/tp/remote/q" + qos.getCode() + "/" + round, qos, THROUGHPUT));
      }
    }
    measure(
        runs,
        "same node  (n1 -> n1), persistent session",
        MqttQos.AT_LEAST_ONCE,
        run(pub, localDurable, "it/tpd/local/q1", MqttQos.AT_LEAST_ONCE, DURABLE_THROUGHPUT));
    measure(
        runs,
        "other node (n1 -> n2), persistent session",
        MqttQos.AT_LEAST_ONCE,
        run(pub, remoteDurable, "it/tpd/remote/q1", MqttQos.AT_LEAST_ONCE, DURABLE_THROUGHPUT));

    for (List<Run> rs : runs.values()) {
      List<Run> sorted = new ArrayList<>(rs);
      sorted.sort(java.util.Comparator.comparingDouble(Run::perSecond));
      Run median = sorted.get(sorted.size() / 2);
      report(
          "throughput: %,d QoS %d messages, 1 publisher, 1 subscriber, %-41s median %,8.0f msg/s (%s)",
          median.sent(),
          median.qos(),
          median.where() + ":",
          median.perSecond(),
          rs.stream().map(r -> String.format("%,d in %,d ms", r.received(), r.millis())).toList());
    }
    for (List<Run> rs : runs.values()) {
      for (Run r : rs) {
        if (r.qos() == 1) {
          assertThat(r.received()).as("QoS 1 messages received, %s", r.where()).isEqualTo(r.sent());
        }
      }
    }
  }

  private static void measure(
      Map<String, List<Run>> runs, String where, MqttQos qos, long[] result) {
    runs.computeIfAbsent("QoS " + qos.getCode() + " " + where, k -> new ArrayList<>())
        .add(new Run(where, qos.getCode(), (int) result[2], (int) result[0], result[1]));
  }

  /**
   * Publishes {@code n} messages as fast as the client allows; returns {received, millis to the
   * last, sent}.
   */
  private static long[] run(Mqtt5AsyncClient pub, Collector sub, String topic, MqttQos qos, int n)
      throws InterruptedException {
    long start = System.nanoTime();
    List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      sent.add(pub.publishWith().topic(topic).qos(qos).payload(bytes(String.valueOf(i))).send());
    }
    if (qos == MqttQos.AT_MOST_ONCE) {
      sub.awaitCountOrQuiet(topic, n, 2_000, 60_000);
    } else {
      sub.awaitCount(topic, n, 90_000);
      assertThat(reasonCodes(sent, 30)).as("PUBACKs on %s", topic).allMatch(code -> code == 0x00);
    }
    List<Received> got = sub.on(topic);
    long last = got.isEmpty() ? System.nanoTime() : got.get(got.size() - 1).atNanos();
    assertThat(sub.sequence(topic))
        .as("%s: publish order", topic)
        .isSorted()
        .doesNotHaveDuplicates();
    return new long[] {got.size(), TimeUnit.NANOSECONDS.toMillis(last - start), n};
  }

  @Test
  @Order(3)
  void aSharedGroupWithMembersOnThreeNodesGetsEachMessageExactlyOnceClusterWide() throws Exception {
    String group = "$share/workers/it/jobs/#";
    List<Collector> members =
        List.of(
            subscriberV5(1, "worker-n1", group, MqttQos.AT_LEAST_ONCE, 0),
            subscriberV5(2, "worker-n2", group, MqttQos.AT_LEAST_ONCE, 0),
            subscriberV5(3, "worker-n3", group, MqttQos.AT_LEAST_ONCE, 0));
    Mqtt5AsyncClient pubOn1 = connectedV5(1, "jobs-pub-n1");
    Mqtt5AsyncClient pubOn3 = connectedV5(3, "jobs-pub-n3");
    // until each member had a probe, the publishers' nodes may not know every member's node yet
    awaitRoutes(pubOn1, "it/jobs/probe", members);
    awaitRoutes(pubOn3, "it/jobs/probe3", members);

    int perPublisher = 300;
    List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < perPublisher; i++) {
      sent.add(
          pubOn1
              .publishWith()
              .topic("it/jobs/work/" + (i % 7))
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes("n1-" + i))
              .send());
      sent.add(
          pubOn3
              .publishWith()
              .topic("it/jobs/work/" + (i % 5))
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes("n3-" + i))
              .send());
      expected.add("n1-" + i);
      expected.add("n3-" + i);
    }
    assertThat(reasonCodes(sent, 60)).as("PUBACK reason codes").allMatch(code -> code == 0x00);
    ClusterClients.await(() -> work(members).size() >= expected.size(), 30_000);
    Thread.sleep(1_000); // a duplicate would arrive after the last original
    List<String> all = work(members);
    Map<String, Integer> perMember = new LinkedHashMap<>();
    for (Collector m : members) {
      perMember.put(m.name, work(List.of(m)).size());
    }
    report(
        "shared group over 3 nodes: %d QoS 1 messages from n1 and n3 went to the members %s",
        all.size(), perMember);
    assertThat(all).as("messages received by the group").doesNotHaveDuplicates();
    assertThat(new HashSet<>(all)).as("messages received by the group").isEqualTo(expected);
    assertThat(perMember.values()).as("each member, one per node, got some").allMatch(n -> n > 0);
  }

  private static List<String> work(List<Collector> members) {
    List<String> out = new ArrayList<>();
    for (Collector m : members) {
      m.all().stream()
          .filter(r -> r.topic().startsWith("it/jobs/work/"))
          .forEach(r -> out.add(r.payload()));
    }
    return out;
  }

  @Test
  @Order(5)
  void aReplyPublishedOnAnotherNodeRightAfterTheSubackReachesTheRequester() throws Exception {
    // request/response: the requester subscribes to its own reply topic, and the responder on
    // another node
    // may answer the moment the SUBACK is out. No probing for routes here: the SUBACK must be
    // enough.
    Mqtt5AsyncClient requester = connectedV5(1, "rr-requester-n1");
    Mqtt5AsyncClient responder = connectedV5(2, "rr-responder-n2");
    List<String> received = new CopyOnWriteArrayList<>();
    requester.publishes(
        com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL,
        p -> received.add(p.getTopic().toString()));
    int rounds = 100;
    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      String topic = "it/rr/reply/" + i;
      requester
          .subscribeWith()
          .topicFilter(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
      Mqtt5PublishResult r =
          responder
              .publishWith()
              .topic(topic)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes("reply " + i))
              .send()
              .orTimeout(10, TimeUnit.SECONDS)
              .join();
      codes.add(ClusterClients.reasonCode(r));
      // a session holds at most 50 subscriptions
      requester.unsubscribeWith().topicFilter(topic).send().orTimeout(10, TimeUnit.SECONDS).join();
    }
    assertThat(codes).as("PUBACK 0x00, never 0x10 (no matching subscribers)").containsOnly(0);
    assertThat(ClusterClients.await(() -> received.size() == rounds, 10_000))
        .as("replies received: %d", received.size())
        .isTrue();
  }

  @Test
  @Order(4)
  void retainedMessagesSetThroughAnyNodeAreDeliveredByEveryNodeAlsoToWildcardSubscriptions()
      throws Exception {
    Map<String, String> retained = new LinkedHashMap<>();
    retained.put("it/retained/room1/temp", "21");
    retained.put("it/retained/room2/temp", "22");
    retained.put("it/retained/room3/hum/x", "55");
    List<String> topics = new ArrayList<>(retained.keySet());
    for (int node = 1; node <= 3; node++) {
      String topic = topics.get(node - 1);
      setRetained(node, topic, retained.get(topic));
    }
    for (int node = 1; node <= 3; node++) {
      assertThat(retainedFrom(node, "it/retained/#", 3))
          .as("n%d, it/retained/#", node)
          .isEqualTo(retained);
      assertThat(retainedFromV3(node, "it/retained/+/temp", 2))
          .as("n%d (v3.1.1), it/retained/+/temp", node)
          .isEqualTo(Map.of("it/retained/room1/temp", "21", "it/retained/room2/temp", "22"));
      assertThat(retainedFrom(node, "it/retained/room3/hum/x", 1))
          .as("n%d, exact topic", node)
          .isEqualTo(Map.of("it/retained/room3/hum/x", "55"));
      assertThat(retainedFrom(node, "it/retained/+/hum/+", 1))
          .as("n%d, it/retained/+/hum/+", node)
          .isEqualTo(Map.of("it/retained/room3/hum/x", "55"));
    }

    // replaced through n3, cleared (empty payload) through n1: every node serves the new state
    setRetained(3, "it/retained/room1/temp", "23");
    setRetained(1, "it/retained/room2/temp", "");
    for (int node = 1; node <= 3; node++) {
      assertThat(retainedFrom(node, "it/retained/#", 2))
          .as("n%d after replace and clear", node)
          .isEqualTo(Map.of("it/retained/room1/temp", "23", "it/retained/room3/hum/x", "55"));
    }
  }

  private void setRetained(int node, String topic, String payload) {
    Mqtt5AsyncClient c = ClusterClients.v5(port(node), "retain-set-n" + node);
    c.connectWith().cleanStart(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    Mqtt5PublishResult r =
        c.publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .retain(true)
            .payload(bytes(payload))
            .send()
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    assertThat(ClusterClients.reasonCode(r))
        .as("PUBACK of retained %s through n%d", topic, node)
        .isLessThan(0x80);
    c.disconnect().orTimeout(5, TimeUnit.SECONDS).join();
  }

  /**
   * A new subscriber on {@code node}: the retained messages it gets (topic -> payload), all with
   * RETAIN set.
   */
  private Map<String, String> retainedFrom(int node, String filter, int expected) throws Exception {
    Mqtt5AsyncClient c = ClusterClients.v5(port(node), "retain-get-n" + node);
    Collector got = Collector.on(c, "retain-get");
    c.connectWith().cleanStart(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    try {
      c.subscribeWith()
          .topicFilter(filter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
      return collectRetained(got, expected);
    } finally {
      c.disconnect().orTimeout(5, TimeUnit.SECONDS).join();
    }
  }

  private Map<String, String> retainedFromV3(int node, String filter, int expected)
      throws Exception {
    Mqtt3AsyncClient c = ClusterClients.v3(port(node), "retain-get-v3-n" + node);
    Collector got = Collector.on(c, "retain-get-v3");
    c.connectWith().cleanSession(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    try {
      c.subscribeWith()
          .topicFilter(filter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
      return collectRetained(got, expected);
    } finally {
      c.disconnect().orTimeout(5, TimeUnit.SECONDS).join();
    }
  }

  private static Map<String, String> collectRetained(Collector got, int expected)
      throws InterruptedException {
    ClusterClients.await(() -> got.all().size() >= expected, 10_000);
    Thread.sleep(300); // more than expected would be wrong too
    List<Received> all = got.all();
    assertThat(all).as("retained messages carry RETAIN").allMatch(Received::retain);
    Map<String, String> out = new HashMap<>();
    for (Received r : all) {
      assertThat(out.put(r.topic(), r.payload())).as("%s delivered once", r.topic()).isNull();
    }
    return out;
  }
}
