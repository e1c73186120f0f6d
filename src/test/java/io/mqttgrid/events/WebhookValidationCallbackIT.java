package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rest of the CloudEvents webhook handshake (docs/routing.md#webhook-validation), with real
 * receivers: {@code WebHook-Request-Rate} asked, a {@code WebHook-Allowed-Rate} kept to, and a
 * receiver that approves later through the {@code WebHook-Request-Callback} URL on the node's HTTP
 * port.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=300",
      "routing.timeout-ms=2000",
      "routing.max-delivery-attempts=1000",
      "routing.webhook-request-rate=120",
      "shutdown.grace-period=1"
    },
    configMethod = "subscribeTheReceivers")
class WebhookValidationCallbackIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  /** Requests per minute the paced receiver allows: one every 3 s. */
  private static final int PACED_RATE = 20;

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpReceivers receivers;
  static int httpPort;

  static final List<String> manualCallbacks = new CopyOnWriteArrayList<>();
  static final List<String> requestedRates = new CopyOnWriteArrayList<>();
  static final ConcurrentLinkedQueue<JsonObject> manualEvents = new ConcurrentLinkedQueue<>();
  static final List<Long> pacedArrivals = new CopyOnWriteArrayList<>();
  static final ConcurrentLinkedQueue<JsonObject> pacedEvents = new ConcurrentLinkedQueue<>();

  static Map<String, String> subscribeTheReceivers() throws Exception {
    receivers = new HttpReceivers();
    // approves by callback only: the OPTIONS answer withholds the permission headers
    HttpServer manual =
        listen(
            req -> {
              if (req.method() == HttpMethod.OPTIONS) {
                manualCallbacks.add(String.valueOf(req.getHeader("WebHook-Request-Callback")));
                req.response().setStatusCode(202).end();
              } else {
                record(req, manualEvents, null);
              }
            });
    HttpServer paced =
        listen(
            req -> {
              if (req.method() == HttpMethod.OPTIONS) {
                requestedRates.add(String.valueOf(req.getHeader("WebHook-Request-Rate")));
                req.response()
                    .putHeader("WebHook-Allowed-Origin", req.getHeader("WebHook-Request-Origin"))
                    .putHeader("WebHook-Allowed-Rate", String.valueOf(PACED_RATE))
                    .end();
              } else {
                record(req, pacedEvents, pacedArrivals);
              }
            });
    httpPort = TestBroker.freePort();
    tokens = TestTokens.create();
    Path file = tokens.writeNamespace(dir);
    String settings =
        """
        settings:
          eventSubscriptions:
            - name: manual
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
              filter: { subjectBeginsWith: "manual/" }
            - name: paced
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
              filter: { subjectBeginsWith: "paced/" }
        """
            .formatted(manual.actualPort(), paced.actualPort());
    Files.writeString(file, Files.readString(file).replace("settings:\n", settings));
    return Map.of(
        "namespace.file",
        file.toString(),
        "namespace.name",
        "testnamespace",
        "http.port",
        String.valueOf(httpPort),
        "routing.validation-callback-base-url",
        "http://127.0.0.1:" + httpPort + "/");
  }

  private static HttpServer listen(Handler<HttpServerRequest> handler) throws Exception {
    return receivers.listen(handler);
  }

  private static void record(
      HttpServerRequest req, ConcurrentLinkedQueue<JsonObject> events, List<Long> arrivals) {
    if (arrivals != null) {
      arrivals.add(System.nanoTime());
    }
    req.body()
        .onSuccess(
            body -> {
              events.add(new JsonObject(body.toString()));
              req.response().setStatusCode(200).end();
            });
  }

  @AfterAll
  static void stopReceivers() throws Exception {
    Closeables.closeAll(receivers);
  }

  @Test
  void aReceiverThatApprovesByCallbackGetsTheEventsHeldUntilThenAndTheUrlServesOnce()
      throws Exception {
    publish("manual/1", 1);
    publish("manual/1", 2);
    // asked again on the retry schedule, with the same callback URL each time
    Await.until("the handshake is asked twice", WAIT, () -> manualCallbacks.size() >= 2);
    String url = manualCallbacks.get(0);
    assertThat(url).startsWith("http://127.0.0.1:" + httpPort + "/routing/validation?token=");
    assertThat(manualCallbacks.get(1)).isEqualTo(url);
    assertThat(manualEvents).isEmpty();

    // a wrong token approves nothing
    HttpResponse<String> wrong = call("GET", url.substring(0, url.length() - 4) + "0000");
    if (url.endsWith("0000")) {
      wrong = call("GET", url.substring(0, url.length() - 4) + "1111");
    }
    assertThat(wrong.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(wrong.body()).getJsonObject("error").getString("code"))
        .isEqualTo("NotFound");
    assertThat(call("GET", "http://127.0.0.1:" + httpPort + "/routing/validation").statusCode())
        .isEqualTo(404);
    assertThat(manualEvents).isEmpty();

    HttpResponse<String> approved = call("POST", url);
    assertThat(approved.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(approved.body()).getBoolean("validated")).isTrue();
    Await.until("the held events arrive", WAIT, () -> manualEvents.size() >= 2);
    assertThat(manualEvents)
        .extracting(e -> e.getJsonObject("data").getInteger("n"))
        .containsExactlyInAnyOrder(1, 2);

    // one-time: used, it is no longer valid
    assertThat(call("GET", url).statusCode()).isEqualTo(404);
  }

  @Test
  void theHandshakeAsksForTheConfiguredRateAndTheAllowedRatePacesTheRequests() throws Exception {
    for (int n = 1; n <= 3; n++) {
      publish("paced/1", n);
    }
    Await.until("the three events arrive", WAIT, () -> pacedEvents.size() >= 3);
    assertThat(requestedRates).isNotEmpty().allMatch("120"::equals);
    // structured mode, one request each, none dropped: each started at least 60/20 = 3 s after
    // the one before (1.5 s leaves room for one taking longer on its way than the next)
    assertThat(pacedEvents)
        .extracting(e -> e.getJsonObject("data").getInteger("n"))
        .containsExactlyInAnyOrder(1, 2, 3);
    assertThat(pacedArrivals).hasSize(3);
    for (int i = 1; i < pacedArrivals.size(); i++) {
      long gapMillis = (pacedArrivals.get(i) - pacedArrivals.get(i - 1)) / 1_000_000;
      assertThat(gapMillis)
          .as("milliseconds between requests %d and %d", i, i + 1)
          .isGreaterThan(1500);
    }
  }

  private static void publish(String topic, int n) {
    Mqtt5BlockingClient c = broker.v5("sensor-" + topic.replace('/', '-') + "-" + n);
    c.connect();
    try {
      c.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .contentType("application/json")
          .payload(("{\"n\": " + n + "}").getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      c.disconnect();
    }
  }

  private static HttpResponse<String> call(String method, String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
