package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.ReceivedEvents;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webhook that never passes the validation handshake (docs/routing.md#webhook-validation): each
 * failed handshake is a delivery attempt of the events it holds back, so they are dead-lettered by
 * the retry policy ({@code routing.max-delivery-attempts}, {@code routing.event-time-to-live-ms})
 * like events whose requests fail, instead of waiting until the buffer is full. A real HTTP
 * receiver plays every webhook, one path each.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=10000",
      "routing.max-delivery-attempts=3",
      "routing.event-time-to-live-ms=5000"
    },
    configMethod = "routeToTheReceiver")
class DeadLetterValidationIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;

  /** Requests per method and path. */
  static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

  /** Bodies the dead-letter webhook got. */
  static final ConcurrentLinkedQueue<JsonObject> deadLetters = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    Handler<HttpServerRequest> answering =
        WebhookReceivers.receiving(
            (req, body) -> {
              if (req.path().equals("/dead")) {
                deadLetters.add(new JsonObject(body.toString()));
              }
              req.response().setStatusCode(200).end();
            });
    HttpServer receiver =
        receivers.listen(
            req -> {
              requests
                  .computeIfAbsent(req.method() + " " + req.path(), p -> new AtomicInteger())
                  .incrementAndGet();
              if (req.method() == HttpMethod.OPTIONS && req.path().equals("/unvalidated")) {
                req.response().setStatusCode(404).end();
              } else if (req.method() == HttpMethod.OPTIONS && req.path().equals("/slow")) {
                // each handshake takes 3 s: the second ends past the 5 s to live
                receivers.vertx().setTimer(3000, t -> req.response().setStatusCode(404).end());
              } else {
                answering.handle(req);
              }
            });
    String url = HttpReceivers.url(receiver);
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          deadLetterDestination:
            webhook: { endpointUrl: "%1$s/dead" }
          eventSubscriptions:
            - name: unvalidated
              filter: { subjectBeginsWith: unvalidated/ }
              destination: { webhook: { endpointUrl: "%1$s/unvalidated" } }
            - name: slow
              filter: { subjectBeginsWith: slow/ }
              destination: { webhook: { endpointUrl: "%1$s/slow" } }
        """
            .formatted(url),
        StandardCharsets.UTF_8);
    return Map.of("namespace.file", file.toString(), "namespace.name", "testnamespace");
  }

  @AfterAll
  static void stopReceiver() throws Exception {
    Closeables.closeAll(receivers);
  }

  @Test
  void eventsHeldBehindAHandshakeThatKeepsFailingAreDeadLetteredAfterMaxDeliveryAttempts()
      throws Exception {
    publish("unvalidated/m1", "{\"n\":1}");

    JsonObject dead = awaitDeadLetter("unvalidated/m1");
    assertThat(dead.getString("subject")).isEqualTo("eventSubscriptions/unvalidated");
    JsonObject data = dead.getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("MaxDeliveryAttemptExceeded");
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(3);
    assertThat(data.getString("lastDeliveryOutcome"))
        .isEqualTo("validation handshake failed: HTTP 404");
    assertThat(data.getJsonObject("event").getJsonObject("data"))
        .isEqualTo(new JsonObject().put("n", 1));
    assertThat(requests.get("OPTIONS /unvalidated").get()).isGreaterThanOrEqualTo(3);
    assertThat(requests.get("POST /unvalidated")).isNull();
    String metrics = broker.scrapeMetrics();
    assertThat(
            TestBroker.metricValue(
                metrics,
                "mqttgrid_routing_dead_lettered_events_total",
                "\"MaxDeliveryAttemptExceeded\""))
        .isEqualTo(1);
    // it left the buffer
    Await.until(
        "the buffers are empty",
        WAIT,
        () -> broker.scrapeMetrics().contains("\nmqttgrid_routing_buffered_events 0.0"));
  }

  @Test
  void eventsHeldBehindASlowFailingHandshakeAreDeadLetteredAtTheirTimeToLive() throws Exception {
    publish("slow/m1", "{\"n\":2}");

    JsonObject data = awaitDeadLetter("slow/m1").getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("TimeToLiveExceeded");
    // two handshakes of 3 s each, fewer than the 3 attempts allowed: the time to live ended it
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(2);
    assertThat(requests.get("POST /slow")).isNull();
  }

  private static void publish(String topic, String json) {
    broker.publishJson("dead-letter-validation-test", topic, json);
  }

  private static JsonObject awaitDeadLetter(String topic) {
    return ReceivedEvents.awaitDeadLetter(deadLetters, topic, WAIT);
  }
}
