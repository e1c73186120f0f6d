package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.HttpReceivers;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validation callback (docs/routing.md#webhook-validation) reaches the node that asked the
 * handshake whichever node it is called on, as behind a load balancer: node 1 routes a message and
 * offers a callback URL; the receiver's call reaches node 2, which hands the token over the
 * cluster's event bus to node 1, whose destination then delivers.
 */
class WebhookValidationCallbackClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static ClusterFixture cluster;
  static HttpReceivers receivers;

  static final List<String> callbacks = new CopyOnWriteArrayList<>();
  static final ConcurrentLinkedQueue<JsonObject> events = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void startReceiverAndCluster() throws Exception {
    receivers = new HttpReceivers();
    // approves by callback only: the OPTIONS answer withholds the permission headers
    HttpServer receiver =
        receivers.listen(
            req -> {
              if (req.method() == HttpMethod.OPTIONS) {
                callbacks.add(String.valueOf(req.getHeader("WebHook-Request-Callback")));
                req.response().setStatusCode(202).end();
                return;
              }
              req.body()
                  .onSuccess(
                      body -> {
                        events.add(new JsonObject(body.toString()));
                        req.response().setStatusCode(200).end();
                      });
            });
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
        """
            .formatted(receiver.actualPort()));
    cluster =
        ClusterFixture.start(
            WebhookValidationCallbackClusterIT.class.getSimpleName(),
            2,
            Map.of(
                "namespace.file",
                file.toString(),
                "namespace.name",
                "clusterns",
                "routing.retry-delays-ms",
                "500",
                "routing.timeout-ms",
                "5000",
                "routing.max-delivery-attempts",
                "1000",
                // the address of a load balancer in front of the nodes' HTTP ports
                "routing.validation-callback-base-url",
                "http://routing-lb.invalid:8080/"));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(cluster, receivers);
  }

  @Test
  void aCallbackOnAnotherNodeValidatesTheDestinationOfTheNodeThatAskedTheHandshake()
      throws Exception {
    Mqtt5BlockingClient c = cluster.v5(1, "callback-publisher");
    c.connect();
    try {
      c.publishWith()
          .topic("lb/1")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("{\"n\":1}".getBytes(StandardCharsets.UTF_8))
          .contentType("application/json")
          .send();
    } finally {
      c.disconnect();
    }
    Await.until("node 1 asks the handshake", WAIT, () -> !callbacks.isEmpty());
    String url = callbacks.get(0);
    String prefix = "http://routing-lb.invalid:8080/routing/validation?token=";
    assertThat(url).startsWith(prefix);
    assertThat(events).isEmpty();

    // the load balancer sends the call to node 2
    String onNode2 =
        "http://127.0.0.1:"
            + cluster.node(2).httpPort()
            + "/routing/validation?token="
            + url.substring(prefix.length());
    HttpResponse<String> approved =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(onNode2))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    assertThat(new JsonObject(approved.body()).getBoolean("validated")).isTrue();

    Await.until("node 1 delivers the event", WAIT, () -> !events.isEmpty());
    JsonObject e = events.peek();
    assertThat(e.getString("subject")).isEqualTo("lb/1");
    assertThat(e.getJsonObject("data").getInteger("n")).isEqualTo(1);
    // used, on any node: no longer valid
    HttpResponse<String> again =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(onNode2)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(404);
  }
}
