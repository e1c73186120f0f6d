package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.ReceivedEvents;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An event subscription's own retry policy and dead-letter destination ({@code
 * deliveryConfiguration}, docs/routing.md#event-subscriptions), and the node's and namespace's
 * where it has none. A real HTTP receiver plays every webhook, one path each.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=10000",
      "routing.max-delivery-attempts=4",
      "management.token=" + DeadLetterPerSubscriptionIT.TOKEN
    },
    configMethod = "routeToTheReceiver")
class DeadLetterPerSubscriptionIT {

  static final String TOKEN = "dead-letter-admin-token-1234567890";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;

  /** Requests per path. */
  static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

  /** Bodies each dead-letter webhook got, by path. */
  static final Map<String, ConcurrentLinkedQueue<JsonObject>> deadLetters =
      new ConcurrentHashMap<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    HttpServer receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  String path = req.path();
                  requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                  if (path.startsWith("/dead")) {
                    deadLetters(path).add(new JsonObject(body.toString()));
                    req.response().setStatusCode(200).end();
                  } else if (path.equals("/slow")) {
                    // each attempt takes 3 s: the second ends past the 4 s to live
                    receivers.vertx().setTimer(3000, t -> req.response().setStatusCode(503).end());
                  } else {
                    req.response().setStatusCode(500).end();
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
            - name: own-policy
              filter: { subjectBeginsWith: own-policy/ }
              destination: { webhook: { endpointUrl: "%1$s/own-policy" } }
              deliveryConfiguration:
                maxDeliveryCount: 2
                deadLetterDestination: { webhook: { endpointUrl: "%1$s/dead-own" } }
            - name: own-ttl
              filter: { subjectBeginsWith: own-ttl/ }
              destination: { webhook: { endpointUrl: "%1$s/slow" } }
              deliveryConfiguration: { eventTimeToLive: PT4S }
            - name: node-policy
              filter: { subjectBeginsWith: node-policy/ }
              destination: { webhook: { endpointUrl: "%1$s/node-policy" } }
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
  void aSubscriptionsOwnMaxDeliveryCountAndDeadLetterDestinationApply() throws Exception {
    publish("own-policy/m1", "{\"n\":1}");

    JsonObject dead = awaitDeadLetter("/dead-own", "own-policy/m1");
    assertThat(dead.getString("subject")).isEqualTo("eventSubscriptions/own-policy");
    JsonObject data = dead.getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("MaxDeliveryAttemptExceeded");
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(2);
    assertThat(requests.get("/own-policy").get()).isEqualTo(2);
    // not the namespace's dead-letter destination
    assertThat(deadLetters("/dead"))
        .noneMatch(d -> ReceivedEvents.deadLetteredSubject(d).equals("own-policy/m1"));
    // counted under the subscription's name, not only by reason
    String counter = "mqttgrid_routing_subscription_dead_lettered_events_total";
    Await.until(
        "the dead letter is counted under own-policy",
        WAIT,
        () -> sample(counter, "own-policy", "MaxDeliveryAttemptExceeded") == 1.0);
    assertThat(sample(counter, "node-policy", "DeliveryRefused")).isZero();
  }

  /** The value of {@code name}'s sample for {@code subscription} and {@code reason}, or 0. */
  private static double sample(String name, String subscription, String reason) throws Exception {
    return broker
        .scrapeMetrics()
        .lines()
        .filter(
            l ->
                l.startsWith(name + "{")
                    && l.contains("Subscription=\"" + subscription + "\"")
                    && l.contains("Reason=\"" + reason + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void aSubscriptionsOwnTimeToLiveApplies() {
    publish("own-ttl/m1", "{\"n\":2}");

    JsonObject data = awaitDeadLetter("/dead", "own-ttl/m1").getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("TimeToLiveExceeded");
    // two attempts of 3 s each, fewer than the node's 4: the subscription's 4 s ended it
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(2);
  }

  @Test
  void withoutOneTheNodesRetryPolicyAndTheNamespacesDeadLetterDestinationApply() {
    publish("node-policy/m1", "{\"n\":3}");

    JsonObject data = awaitDeadLetter("/dead", "node-policy/m1").getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("MaxDeliveryAttemptExceeded");
    assertThat(data.getInteger("deliveryAttempts")).isEqualTo(4);
    assertThat(requests.get("/node-policy").get()).isEqualTo(4);
  }

  @Test
  void theManagementApiShowsItAndRefusesAMistakeNamingTheField() throws Exception {
    String path = "/namespaces/testnamespace";
    JsonObject settings =
        new JsonObject(management("GET", path, null).body())
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    JsonObject own = settings.getJsonArray("eventSubscriptions").getJsonObject(0);
    assertThat(own.getJsonObject("deliveryConfiguration").getInteger("maxDeliveryCount"))
        .isEqualTo(2);

    JsonObject wrong = settings.copy();
    wrong
        .getJsonArray("eventSubscriptions")
        .getJsonObject(1)
        .getJsonObject("deliveryConfiguration")
        .put("eventTimeToLive", "four seconds");
    HttpResponse<String> refused =
        management(
            "PUT",
            path,
            new JsonObject()
                .put("properties", new JsonObject().put("topicSpacesConfiguration", wrong))
                .encode());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body())
        .contains("settings.eventSubscriptions.own-ttl.deliveryConfiguration.eventTimeToLive");
  }

  private static void publish(String topic, String json) {
    broker.publishJson("dead-letter-subscription-test", topic, json);
  }

  private static JsonObject awaitDeadLetter(String path, String topic) {
    return ReceivedEvents.awaitDeadLetter(deadLetters(path), topic, WAIT);
  }

  /** The dead-letter events the webhook at {@code path} got, and gets from now on. */
  private static ConcurrentLinkedQueue<JsonObject> deadLetters(String path) {
    return deadLetters.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>());
  }

  private static HttpResponse<String> management(String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.managementPort() + path))
            .header("Authorization", "Bearer " + TOKEN);
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
