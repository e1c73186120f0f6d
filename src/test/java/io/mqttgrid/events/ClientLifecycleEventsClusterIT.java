package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.WebhookReceivers;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client life-cycle events across two broker JVMs routing to one receiver in the test: a session's
 * sequence numbers rise across a takeover on the other node and across the death of a node, and a
 * registry change made through either node is one event in the cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientLifecycleEventsClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String TOKEN = "lifecycle-cluster-token-1234567890";
  private static final long WINDOW_MILLIS = 1500;
  private static final String CONNECTED = ClientLifecycleEvents.SESSION_CONNECTED;
  private static final String DISCONNECTED = ClientLifecycleEvents.SESSION_DISCONNECTED;

  @TempDir static Path dir;
  static ClusterFixture cluster;
  static HttpReceivers receivers;
  static HttpServer receiver;
  static final ConcurrentLinkedQueue<JsonObject> received = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void startReceiverAndCluster() throws Exception {
    receivers = new HttpReceivers();
    receiver = receivers.listen(WebhookReceivers.collecting(received::add));
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
          clientLifecycleEvents: { enabled: true }
        """
            .formatted(receiver.actualPort()));
    cluster =
        ClusterFixture.start(
            ClientLifecycleEventsClusterIT.class.getSimpleName(),
            2,
            Map.of(
                "namespace.file",
                file.toString(),
                "namespace.name",
                "clusterns",
                "management.token",
                TOKEN,
                "events.coalesce-window-ms",
                String.valueOf(WINDOW_MILLIS),
                "routing.retry-delays-ms",
                "200"));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(cluster, receivers);
  }

  static List<JsonObject> sessionEvents(String clientId, int n) {
    String subject = "clients/" + clientId + "/sessions/" + clientId;
    Await.until(
        n + " life-cycle events of " + clientId,
        WAIT,
        () -> received.stream().filter(e -> subject.equals(e.getString("subject"))).count() >= n);
    return received.stream().filter(e -> subject.equals(e.getString("subject"))).toList();
  }

  static List<Long> numbers(List<JsonObject> events, String type) {
    return events.stream()
        .filter(e -> e.getString("type").equals(type))
        .map(e -> e.getJsonObject("data").getLong("sequenceNumber"))
        .sorted()
        .toList();
  }

  @Test
  @Order(1)
  void aSessionTakenOverOnTheOtherNodeGetsTheNextNumber() throws Exception {
    Mqtt5BlockingClient first = cluster.v5(1, "roamer");
    first.connect();
    assertThat(numbers(sessionEvents("roamer", 1), CONNECTED)).containsExactly(1L);
    Mqtt5BlockingClient second = cluster.v5(2, "roamer");
    second.connect();
    List<JsonObject> events = sessionEvents("roamer", 3);
    JsonObject disconnected =
        events.stream().filter(e -> e.getString("type").equals(DISCONNECTED)).findFirst().get();
    assertThat(disconnected.getJsonObject("data").getLong("sequenceNumber")).isEqualTo(1);
    assertThat(disconnected.getJsonObject("data").getString("disconnectionReason"))
        .isEqualTo("SessionTakenOver");
    second.disconnect();
    events = sessionEvents("roamer", 4);
    Thread.sleep(500); // nothing more comes: each event once in the cluster
    events = sessionEvents("roamer", 4);
    assertThat(events).hasSize(4);
    assertThat(numbers(events, CONNECTED)).containsExactly(1L, 2L);
    assertThat(numbers(events, DISCONNECTED)).containsExactly(1L, 2L);
  }

  @Test
  @Order(2)
  void aClientChangedThroughBothNodesIsOneEventInTheCluster() throws Exception {
    assertThat(
            management(
                1,
                "PUT",
                "/clients/shared-sensor",
                "{\"properties\": {\"attributes\": {\"floor\": \"1\"}}}"))
        .isEqualTo(201);
    assertThat(
            management(
                2,
                "PUT",
                "/clients/shared-sensor",
                "{\"properties\": {\"attributes\": {\"floor\": \"2\"}}}"))
        .isEqualTo(200);
    Await.until(
        "the client's event",
        WAIT,
        () ->
            received.stream()
                .anyMatch(e -> "clients/shared-sensor".equals(e.getString("subject"))));
    Thread.sleep(WINDOW_MILLIS + 1000);
    List<JsonObject> events =
        received.stream()
            .filter(e -> "clients/shared-sensor".equals(e.getString("subject")))
            .toList();
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getString("type"))
        .isEqualTo(ClientLifecycleEvents.CLIENT_CREATED_OR_UPDATED);
    assertThat(events.get(0).getJsonObject("data").getJsonObject("attributes"))
        .isEqualTo(new JsonObject().put("floor", "2"));
  }

  @Test
  @Order(3)
  void aNodeThatStopsReportsItsClientsOnceAsServerInitiated() throws Exception {
    Mqtt5BlockingClient c = cluster.v5(1, "leaver");
    c.connect();
    sessionEvents("leaver", 1);
    cluster.stop(1);
    cluster.awaitMembers(1, WAIT, 2);
    List<JsonObject> events = sessionEvents("leaver", 2);
    Thread.sleep(1000); // the survivor must not report it lost as well
    events = sessionEvents("leaver", 2);
    assertThat(events).hasSize(2);
    assertThat(events.get(1).getJsonObject("data").getString("disconnectionReason"))
        .isEqualTo("ServerInitiatedDisconnect");
    cluster.restart(1);
    cluster.awaitMembers(2, Duration.ofSeconds(120));
  }

  @Test
  @Order(4)
  void theConnectionsOfANodeThatDiesAreLostAndTheirNumbersGoOn() throws Exception {
    // enough sessions that some counters have node 1 as their partition owner, and live on in
    // the backups on node 2
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String id = "orphan-" + i;
      ids.add(id);
      cluster.v5(1, id).connect();
      sessionEvents(id, 1);
    }
    cluster.kill(1);
    cluster.awaitMembers(1, WAIT, 2);
    for (String id : ids) {
      // reported by the survivor, with the number of the connection that was lost
      List<JsonObject> events = sessionEvents(id, 2);
      JsonObject lost = events.get(1);
      assertThat(lost.getString("type")).as(id).isEqualTo(DISCONNECTED);
      assertThat(lost.getJsonObject("data").getString("disconnectionReason"))
          .isEqualTo("ConnectionLost");
      assertThat(lost.getJsonObject("data").getLong("sequenceNumber")).isEqualTo(1);
    }
    for (String id : ids) {
      Mqtt5BlockingClient c = cluster.v5(2, id);
      c.connect();
      c.disconnect();
      assertThat(numbers(sessionEvents(id, 4), CONNECTED)).as(id).containsExactly(1L, 2L);
    }
  }

  static int management(int node, String method, String path, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + cluster.node(node).managementPort()
                            + "/namespaces/clusterns"
                            + path))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
