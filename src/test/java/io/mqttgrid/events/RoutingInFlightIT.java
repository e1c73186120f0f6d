package io.mqttgrid.events;

import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code routing.max-requests-in-flight} bounds the requests under way, not the events that failed:
 * a batch waiting for its retry gives its place to new events, and a destination whose requests
 * hang does not hold what another destination on the same server needs. A real HTTP receiver plays
 * the webhooks, one path each; retries are far off (60 s) so that none happens during the test.
 */
@WithBroker(
    value = {
      "routing.max-requests-in-flight=8",
      "routing.retry-delays-ms=60000",
      "routing.timeout-ms=30000",
      // the failing and hanging subscriptions hold their events until the end
      "shutdown.grace-period=1"
    },
    configMethod = "routeToTheReceiver")
class RoutingInFlightIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int IN_FLIGHT = 8;

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;

  static final AtomicInteger refused = new AtomicInteger();
  static final AtomicInteger hanging = new AtomicInteger();
  static final ConcurrentLinkedQueue<JsonObject> delivered = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    HttpServer receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  JsonObject event = new JsonObject(body.toString());
                  switch (req.path()) {
                    case "/hang" -> hanging.incrementAndGet(); // never answered
                    case "/flaky" -> {
                      if (event.getJsonObject("data").getBoolean("fail")) {
                        refused.incrementAndGet();
                        req.response().setStatusCode(500).end();
                      } else {
                        delivered.add(event);
                        req.response().setStatusCode(200).end();
                      }
                    }
                    default -> {
                      delivered.add(event);
                      req.response().setStatusCode(200).end();
                    }
                  }
                }));
    String url = HttpReceivers.url(receiver);
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          eventSubscriptions:
            - name: flaky
              filter: { subjectBeginsWith: flaky/ }
              destination: { webhook: { endpointUrl: "%1$s/flaky" } }
            - name: hanging
              filter: { subjectBeginsWith: hanging/ }
              destination: { webhook: { endpointUrl: "%1$s/hang" } }
            - name: healthy
              filter: { subjectBeginsWith: healthy/ }
              destination: { webhook: { endpointUrl: "%1$s/ok" } }
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
  void batchesWaitingForTheirRetryDoNotHoldTheRequestsInFlight() throws Exception {
    // as many failures as requests may be in flight, each waiting 60 s for its retry
    for (int i = 0; i < IN_FLIGHT; i++) {
      publish("flaky/m" + i, "{\"fail\": true, \"n\": " + i + "}");
    }
    Await.until("the failing requests are answered", WAIT, () -> refused.get() >= IN_FLIGHT);

    publish("flaky/next", "{\"fail\": false, \"n\": 100}");

    Await.until(
        "the next event is sent while the others wait for their retry",
        WAIT,
        () -> subjects().contains("flaky/next"));
  }

  @Test
  void aSubscriptionWhoseRequestsHangDoesNotStallAnotherOnTheSameServer() throws Exception {
    for (int i = 0; i < IN_FLIGHT; i++) {
      publish("hanging/m" + i, "{\"n\": " + i + "}");
    }
    // at least as many as the HTTP client's default pool would give one server (5)
    Await.until("requests hang at the receiver", WAIT, () -> hanging.get() >= 5);

    publish("healthy/m1", "{\"n\": 200}");

    Await.until(
        "the healthy subscription's event arrives", WAIT, () -> subjects().contains("healthy/m1"));
  }

  private static java.util.List<String> subjects() {
    return delivered.stream().map(e -> e.getString("subject")).toList();
  }

  private static void publish(String topic, String json) {
    broker.publishJson("in-flight-test", topic, json);
  }
}
