package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WebhookReceivers;
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
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook validation handshake (docs/routing.md#webhook-validation) with real receivers, one
 * event subscription each: one that answers it gets its events; one that answers every request 200
 * but never allows the origin (an endpoint that did not opt in) gets none, the failures counted;
 * one that starts answering later gets the events held meanwhile.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=1000",
      // the refusing subscription's handshakes fail every 200 ms: each is a delivery attempt, and
      // its events are to wait to the end of the test, not be dead-lettered after 30
      "routing.max-delivery-attempts=1000",
      // the refusing subscription holds its events until the end: the node waits this long
      "shutdown.grace-period=1"
    },
    configMethod = "subscribeTheReceivers")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the second counts on what the first sent
class WebhookValidationIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpReceivers receivers;

  static final ConcurrentLinkedQueue<JsonObject> validEvents = new ConcurrentLinkedQueue<>();
  static final ConcurrentLinkedQueue<JsonObject> refusingEvents = new ConcurrentLinkedQueue<>();
  static final ConcurrentLinkedQueue<JsonObject> lateEvents = new ConcurrentLinkedQueue<>();
  static final AtomicInteger refusingHandshakes = new AtomicInteger();
  static final AtomicInteger lateHandshakes = new AtomicInteger();

  /** The late receiver answers the handshake once this is set. */
  static volatile boolean lateAnswers;

  static Map<String, String> subscribeTheReceivers() throws Exception {
    receivers = new HttpReceivers();
    HttpServer valid = listen(WebhookReceivers.answeringHandshake(recorder(validEvents)));
    Handler<HttpServerRequest> refusingRecorder = recorder(refusingEvents);
    HttpServer refusing =
        listen(
            req -> {
              if (req.method() == HttpMethod.OPTIONS) {
                refusingHandshakes.incrementAndGet();
              }
              refusingRecorder.handle(req); // 200, whatever is asked, without the header
            });
    Handler<HttpServerRequest> late = WebhookReceivers.answeringHandshake(recorder(lateEvents));
    HttpServer later =
        listen(
            req -> {
              if (req.method() == HttpMethod.OPTIONS && !lateAnswers) {
                lateHandshakes.incrementAndGet();
                req.response().setStatusCode(404).end();
              } else {
                late.handle(req);
              }
            });
    tokens = TestTokens.create();
    Path file = tokens.writeNamespace(dir);
    String settings =
        """
        settings:
          eventSubscriptions:
            - name: valid
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
            - name: refusing
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
            - name: late
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/events", maxEventsPerBatch: 10 }
        """
            .formatted(valid.actualPort(), refusing.actualPort(), later.actualPort());
    Files.writeString(file, Files.readString(file).replace("settings:\n", settings));
    return Map.of("namespace.file", file.toString(), "namespace.name", "testnamespace");
  }

  private static HttpServer listen(Handler<HttpServerRequest> handler) throws Exception {
    return receivers.listen(handler);
  }

  /** Records each event a POST carries (structured or batched) and answers 200. */
  private static Handler<HttpServerRequest> recorder(ConcurrentLinkedQueue<JsonObject> events) {
    return req ->
        req.body()
            .onSuccess(
                body -> {
                  String text = body.toString().trim();
                  if (req.method() == HttpMethod.POST) {
                    if (text.startsWith("[")) {
                      new io.vertx.core.json.JsonArray(text)
                          .forEach(e -> events.add((JsonObject) e));
                    } else {
                      events.add(new JsonObject(text));
                    }
                  }
                  req.response().setStatusCode(200).end();
                });
  }

  @AfterAll
  static void stopReceivers() throws Exception {
    Closeables.closeAll(receivers);
  }

  @Test
  @Order(1)
  void onlyAWebhookThatAnswersTheHandshakeGetsEventsAndOneThatAnswersLaterGetsThoseHeld()
      throws Exception {
    Mqtt5BlockingClient c = broker.v5("sensor-1");
    c.connect();
    try {
      json(c, "{\"n\": 1}");
      json(c, "{\"n\": 2}");
    } finally {
      c.disconnect();
    }

    Await.until("both events reach the valid receiver", WAIT, () -> validEvents.size() >= 2);
    assertThat(validEvents).extracting(e -> e.getJsonObject("data").getInteger("n")).contains(1, 2);

    // the refusing receiver is asked again on the retry schedule, and each failure is counted
    Await.until(
        "the refusing receiver is asked 3 times", WAIT, () -> refusingHandshakes.get() >= 3);
    Await.until(
        "the failed handshakes are counted",
        WAIT,
        () ->
            metric("mqttgrid_routing_webhook_validation_failures_total", "") >= 3
                && metric("mqtt_failed_routed_messages_total", "Error=\"ValidationFailed\"") >= 2);
    Await.until("the late receiver is asked twice", WAIT, () -> lateHandshakes.get() >= 2);
    assertThat(refusingEvents).isEmpty();
    assertThat(lateEvents).isEmpty();

    lateAnswers = true;
    Await.until("the held events reach the late receiver", WAIT, () -> lateEvents.size() >= 2);
    assertThat(lateEvents)
        .extracting(e -> e.getJsonObject("data").getInteger("n"))
        .containsExactlyInAnyOrder(1, 2);
    // still waiting, never sent, never dropped
    assertThat(refusingEvents).isEmpty();
    assertThat(metric("mqttgrid_routing_buffered_events", "")).isEqualTo(2);
  }

  @Test
  @Order(2)
  void eachSubscriptionsDeliveredAndFailedEventsAreCountedUnderItsName() throws Exception {
    Mqtt5BlockingClient c = broker.v5("sensor-2");
    c.connect();
    try {
      json(c, "{\"n\": 3}");
    } finally {
      c.disconnect();
    }
    String delivered = "mqttgrid_routing_subscription_delivered_events_total";
    String failed = "mqttgrid_routing_subscription_failed_events_total";
    // the first test's two events and this one, to each subscription that answers
    Await.until(
        "the deliveries are counted",
        WAIT,
        () ->
            metric(delivered, "Subscription=\"valid\"") >= 3
                && metric(delivered, "Subscription=\"late\"") >= 3);
    Await.until(
        "the refusing subscription's failures are counted",
        WAIT,
        () -> metric(failed, "Subscription=\"refusing\"") >= 1);
    assertThat(metric(delivered, "Subscription=\"refusing\"")).isZero();
    assertThat(metric(failed, "Subscription=\"valid\"")).isZero();
    assertThat(metricLabels(failed, "Subscription=\"refusing\""))
        .contains("Error=\"ValidationFailed\"");
    // the namespace's counter is the sum of the subscriptions'
    assertThat(metric(delivered, "Subscription=\"valid\"")).isEqualTo(3);
    assertThat(metric(delivered, "Subscription=\"late\"")).isEqualTo(3);
    assertThat(metric("mqtt_successful_routed_messages_total", "")).isEqualTo(6);
  }

  private static void json(Mqtt5BlockingClient c, String payload) {
    c.publishWith()
        .topic("sensors/1")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  /** The sample of {@code name} whose labels contain {@code label}, or 0. */
  private static double metric(String name, String label) throws Exception {
    String[] found = sample(name, label);
    return found == null ? 0 : Double.parseDouble(found[1]);
  }

  private static String metricLabels(String name, String label) throws Exception {
    String[] found = sample(name, label);
    return found == null ? "" : found[0];
  }

  private static String[] sample(String name, String label) throws Exception {
    String text =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + broker.managementPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      String labels = m.group(2) == null ? "" : m.group(2);
      if (m.group(1).equals(name) && labels.contains(label)) {
        return new String[] {labels, m.group(3)};
      }
    }
    return null;
  }
}
