package io.mqttgrid.http;

import static io.mqttgrid.http.HttpApiClient.PUBLISH_VERSION;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TcpLoadBalancer;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP publish on a three-node cluster behind a load balancer: whichever node takes the request,
 * MQTT 5 and 3.1.1 subscribers on the other nodes get the message (the MQTT 5 ones with every
 * property), and a QoS 1 HTTP publish to an offline persistent session waits in its queue until the
 * device comes back, to another node.
 */
class HttpPublishClusterIT {

  private static final String USER_PROPERTIES =
      "[{\"Urgency\":\"alert\"},{\"Urgency\":\"again\"},{\"n\":\"1\"}]";

  static Path dir;
  static TestTokens tokens;
  static ClusterFixture cluster;
  static TcpLoadBalancer balancer;
  static HttpApiClient http;
  private final List<Runnable> cleanup = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("http-publish-cluster");
    tokens = TestTokens.create();
    Path namespace = tokens.writeNamespace(dir);
    cluster =
        ClusterFixture.start(
            HttpPublishClusterIT.class.getSimpleName(),
            3,
            Map.of("namespace.file", namespace.toString()));
    balancer =
        TcpLoadBalancer.start(
            cluster.nodes().stream()
                .map(
                    n ->
                        new TcpLoadBalancer.Backend(
                            n.id(),
                            n.httpPort(),
                            URI.create(
                                "http://" + n.host() + ":" + n.httpPort() + "/health/ready")))
                .toList());
    // one connection per request, so the balancer spreads the requests over the nodes
    http =
        new HttpApiClient(
            balancer.host(),
            balancer.port(),
            new io.vertx.ext.web.client.WebClientOptions().setKeepAlive(false));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(http, balancer, cluster);
  }

  @AfterEach
  void disconnect() {
    cleanup.forEach(Runnable::run);
  }

  private static Map<String, String> headers(String... pairs) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer " + tokens.token("backend-cluster"));
    for (int i = 0; i < pairs.length; i += 2) {
      h.put(pairs[i], pairs[i + 1]);
    }
    return h;
  }

  private static HttpResponse<Buffer> publish(
      String encodedTopic, Map<String, String> headers, String body) {
    return http.publish(
        "topic=" + encodedTopic + "&api-version=" + PUBLISH_VERSION,
        headers,
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** Messages one subscriber received, by topic. */
  private record Received<T>(
      String name, BlockingQueue<T> queue, Function<T, String> topic, Function<T, byte[]> payload) {
    T next(String topicName) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        T m = queue.poll(100, TimeUnit.MILLISECONDS);
        if (m != null && topic.apply(m).equals(topicName)) {
          return m;
        }
      }
      throw new AssertionError(name + ": nothing on " + topicName + " within 20 s");
    }

    /**
     * Whether a probe with this payload arrives within {@code millis}; other probes are dropped.
     */
    boolean gotProbe(String probeTopic, String payloadText, long millis)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (System.nanoTime() < deadline) {
        T m = queue.poll(20, TimeUnit.MILLISECONDS);
        if (m != null
            && topic.apply(m).equals(probeTopic)
            && new String(payload.apply(m), StandardCharsets.UTF_8).equals(payloadText)) {
          return true;
        }
      }
      return false;
    }
  }

  private Received<Mqtt5Publish> v5(int node, String id, String filter, long sessionExpiry) {
    Mqtt5AsyncClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(id)
            .serverHost(cluster.node(node).host())
            .serverPort(cluster.node(node).mqttPort())
            .buildAsync();
    BlockingQueue<Mqtt5Publish> q = new LinkedBlockingQueue<>();
    c.publishes(MqttGlobalPublishFilter.ALL, q::add);
    c.connectWith()
        .cleanStart(true)
        .sessionExpiryInterval(sessionExpiry)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    c.subscribeWith()
        .topicFilter(filter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    cleanup.add(
        () ->
            c.disconnectWith()
                .sessionExpiryInterval(0)
                .send()
                .orTimeout(5, TimeUnit.SECONDS)
                .exceptionally(e -> null)
                .join());
    return new Received<>(
        id + "@n" + node, q, m -> m.getTopic().toString(), Mqtt5Publish::getPayloadAsBytes);
  }

  private Received<Mqtt3Publish> v3(int node, String id, String filter) {
    Mqtt3AsyncClient c =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(id)
            .serverHost(cluster.node(node).host())
            .serverPort(cluster.node(node).mqttPort())
            .buildAsync();
    BlockingQueue<Mqtt3Publish> q = new LinkedBlockingQueue<>();
    c.publishes(MqttGlobalPublishFilter.ALL, q::add);
    c.connectWith().cleanSession(true).send().orTimeout(10, TimeUnit.SECONDS).join();
    c.subscribeWith()
        .topicFilter(filter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    cleanup.add(
        () -> c.disconnect().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join());
    return new Received<>(
        id + "@n" + node, q, m -> m.getTopic().toString(), Mqtt3Publish::getPayloadAsBytes);
  }

  /**
   * Publishes probes through the balancer until every subscriber got one that entered through each
   * node: then every node knows the subscribers' routes (they spread through Hazelcast
   * asynchronously).
   */
  private void awaitRoutes(String probeTopic, List<Received<?>> subscribers)
      throws InterruptedException {
    Set<String> confirmed = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (int k = 0; confirmed.size() < cluster.size(); k++) {
      assertThat(System.nanoTime())
          .as("routes known to every node, confirmed %s", confirmed)
          .isLessThan(deadline);
      String payload = "probe-" + k;
      HttpResponse<Buffer> r =
          publish(URLTopic.encode(probeTopic), headers("mqtt-qos", "0"), payload);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
      String node = balancer.lastBackend();
      boolean all = true;
      for (Received<?> s : subscribers) {
        all &= s.gotProbe(probeTopic, payload, 1_000);
      }
      if (all) {
        confirmed.add(node);
      }
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static void assertAllProperties(Mqtt5Publish m, String body) {
    assertThat(new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo(body);
    assertThat(m.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(m.getResponseTopic())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("replies/é/1"));
    assertThat(m.getCorrelationData())
        .hasValueSatisfying(c -> assertThat(bytes(c)).containsExactly(9, 8, 7));
    assertThat(
            m.getUserProperties().asList().stream()
                .map(p -> p.getName() + "=" + p.getValue())
                .toList())
        .containsExactly("Urgency=alert", "Urgency=again", "n=1");
    assertThat(m.getContentType())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("text/plain; charset=utf-8"));
    assertThat(m.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(m.getMessageExpiryInterval().orElseThrow()).isBetween(3500L, 3600L);
  }

  private static Map<String, String> allProperties() {
    return headers(
        "mqtt-qos",
        "1",
        "mqtt-response-topic",
        "replies%2F%C3%A9%2F1",
        "mqtt-correlation-data",
        Base64.getEncoder().encodeToString(new byte[] {9, 8, 7}),
        "mqtt-user-properties",
        USER_PROPERTIES,
        "Content-Type",
        "text/plain; charset=utf-8",
        "mqtt-message-expiry",
        "3600",
        "mqtt-payload-format-indicator",
        "1");
  }

  @Test
  void
      anHttpPublishThroughTheBalancerReachesMqtt5And311SubscribersOnTheOtherNodesWithEveryProperty()
          throws Exception {
    Received<Mqtt5Publish> v5n2 = v5(2, "http-v5-n2", "devices/cluster/#", 0);
    Received<Mqtt3Publish> v3n3 = v3(3, "http-v3-n3", "devices/cluster/#");
    Received<Mqtt5Publish> v5n1 = v5(1, "http-v5-n1", "devices/cluster/#", 0);
    List<Received<?>> all = List.of(v5n2, v3n3, v5n1);
    awaitRoutes("devices/cluster/probe", all);

    // one publish through each node: the balancer takes turns
    List<String> entered = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      HttpResponse<Buffer> r =
          publish("devices%2Fcluster%2Fmsg" + i, allProperties(), "message " + i);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
      entered.add(balancer.lastBackend());
    }
    assertThat(new HashSet<>(entered))
        .as("nodes the publishes entered through")
        .hasSize(cluster.size());
    for (int i = 0; i < cluster.size(); i++) {
      String topic = "devices/cluster/msg" + i;
      assertAllProperties(v5n2.next(topic), "message " + i);
      assertAllProperties(v5n1.next(topic), "message " + i);
      Mqtt3Publish m3 = v3n3.next(topic);
      assertThat(new String(m3.getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("message " + i);
      assertThat(m3.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    }
  }

  @Test
  void aQos1HttpPublishToAnOfflinePersistentSessionIsDeliveredWhenTheDeviceReconnectsToAnotherNode()
      throws Exception {
    String id = "http-offline-device";
    Mqtt5AsyncClient device =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(id)
            .serverHost(cluster.node(1).host())
            .serverPort(cluster.node(1).mqttPort())
            .buildAsync();
    BlockingQueue<Mqtt5Publish> first = new LinkedBlockingQueue<>();
    device.publishes(MqttGlobalPublishFilter.ALL, first::add);
    device
        .connectWith()
        .cleanStart(true)
        .sessionExpiryInterval(600)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    device
        .subscribeWith()
        .topicFilter("devices/offline/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
    awaitRoutes(
        "devices/offline/probe",
        List.of(
            new Received<>(
                id, first, m -> m.getTopic().toString(), Mqtt5Publish::getPayloadAsBytes)));
    device.disconnect().orTimeout(10, TimeUnit.SECONDS).join();

    HttpResponse<Buffer> r =
        publish("devices%2Foffline%2Fcommand", allProperties(), "while you were away");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);

    Mqtt5AsyncClient back =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(id)
            .serverHost(cluster.node(3).host())
            .serverPort(cluster.node(3).mqttPort())
            .buildAsync();
    BlockingQueue<Mqtt5Publish> q = new LinkedBlockingQueue<>();
    back.publishes(MqttGlobalPublishFilter.ALL, q::add);
    assertThat(
            back.connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(600)
                .send()
                .orTimeout(10, TimeUnit.SECONDS)
                .join()
                .isSessionPresent())
        .isTrue();
    cleanup.add(
        () ->
            back.disconnectWith()
                .sessionExpiryInterval(0)
                .send()
                .orTimeout(5, TimeUnit.SECONDS)
                .exceptionally(e -> null)
                .join());
    Received<Mqtt5Publish> received =
        new Received<>(
            id + "@n3", q, m -> m.getTopic().toString(), Mqtt5Publish::getPayloadAsBytes);
    assertAllProperties(received.next("devices/offline/command"), "while you were away");
  }

  /** Percent-encoding of a topic for the query string. */
  private static final class URLTopic {
    static String encode(String topic) {
      return java.net.URLEncoder.encode(topic, StandardCharsets.UTF_8).replace("+", "%20");
    }
  }
}
