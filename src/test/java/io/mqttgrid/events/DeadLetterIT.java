package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.ReceivedEvents;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retry policy and the dead-letter destination (docs/routing.md): a webhook that keeps failing
 * gets {@code routing.max-delivery-attempts} attempts, one that fails slowly is given up at the
 * events' time to live, one that answers 400 is not retried; each time the event goes to the
 * namespace's {@code deadLetterDestination} (a webhook here) wrapped in a dead-letter event that
 * says why, and is counted. A real HTTP receiver plays every webhook, one path each.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=10000",
      "routing.max-delivery-attempts=3",
      "routing.event-time-to-live-ms=5000"
    },
    configMethod = "routeToTheReceiver")
class DeadLetterIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;
  static HttpServer receiver;

  /** Requests per path. */
  static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

  /** Bodies the dead-letter webhook got. */
  static final ConcurrentLinkedQueue<JsonObject> deadLetters = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  String path = req.path();
                  requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                  switch (path) {
                    case "/dead" -> {
                      deadLetters.add(new JsonObject(body.toString()));
                      req.response().setStatusCode(200).end();
                    }
                    case "/bad" -> req.response().setStatusCode(400).end();
                    // each attempt takes 3 s: the second ends past the 5 s to live
                    case "/slow" ->
                        receivers
                            .vertx()
                            .setTimer(3000, t -> req.response().setStatusCode(503).end());
                    default -> req.response().setStatusCode(500).end();
                  }
                }));
    String url = HttpReceivers.url(receiver);
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          deadLetterDestination:
            webhook: { endpointUrl: "%1$s/dead" }
          eventSubscriptions:
            - name: failing
              filter: { subjectBeginsWith: failing/ }
              destination: { webhook: { endpointUrl: "%1$s/failing" } }
            - name: refusing
              filter: { subjectBeginsWith: refusing/ }
              destination: { webhook: { endpointUrl: "%1$s/bad" } }
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
  void aWebhookThatKeepsFailingGetsMaxDeliveryAttemptsThenTheEventIsDeadLettered()
      throws Exception {
    publish("failing/m1", "{\"n\":1}");

    JsonObject dead = awaitDeadLetter("failing/m1");
    assertThat(dead.getString("type")).isEqualTo("MQTTGrid.EventDeadLettered");
    assertThat(dead.getString("source")).isEqualTo("/namespaces/testnamespace");
    assertThat(dead.getString("subject")).isEqualTo("eventSubscriptions/failing");
    JsonObject data = dead.getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("MaxDeliveryAttemptExceeded");
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(3);
    assertThat(data.getString("lastDeliveryOutcome")).isEqualTo("HTTP 500");
    assertThat(data.getJsonObject("event").getJsonObject("data"))
        .isEqualTo(new JsonObject().put("n", 1));
    assertThat(requests.get("/failing").get()).isEqualTo(3);
    assertThat(metric("mqttgrid_routing_dead_lettered_events_total", "MaxDeliveryAttemptExceeded"))
        .isEqualTo(1);
  }

  @Test
  void a400IsNotRetriedTheEventIsDeadLetteredAtOnce() throws Exception {
    publish("refusing/m1", "{\"n\":2}");

    JsonObject data = awaitDeadLetter("refusing/m1").getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("DeliveryRefused");
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(1);
    assertThat(data.getString("lastDeliveryOutcome")).isEqualTo("HTTP 400");
    assertThat(requests.get("/bad").get()).isEqualTo(1);
    assertThat(metric("mqtt_failed_routed_messages_total", "ClientError")).isEqualTo(1);
    assertThat(metric("mqttgrid_routing_dead_lettered_events_total", "DeliveryRefused"))
        .isEqualTo(1);
  }

  @Test
  void anEventStillFailingAtItsTimeToLiveIsDeadLettered() throws Exception {
    publish("slow/m1", "{\"n\":3}");

    JsonObject data = awaitDeadLetter("slow/m1").getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("TimeToLiveExceeded");
    // two attempts of 3 s each, fewer than the 3 allowed: the time to live ended it
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(2);
    assertThat(requests.get("/slow").get()).isEqualTo(2);
  }

  private static void publish(String topic, String json) {
    broker.publishJson("dead-letter-test", topic, json);
  }

  private static JsonObject awaitDeadLetter(String topic) {
    return ReceivedEvents.awaitDeadLetter(deadLetters, topic, WAIT);
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  private static double metric(String name, String label) throws Exception {
    Matcher m = SAMPLE.matcher(broker.scrapeMetrics());
    while (m.find()) {
      String labels = m.group(2) == null ? "" : m.group(2);
      if (m.group(1).equals(name) && labels.contains("\"" + label + "\"")) {
        return Double.parseDouble(m.group(3));
      }
    }
    return 0;
  }
}
