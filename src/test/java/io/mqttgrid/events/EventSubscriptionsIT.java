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
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event subscriptions with filters (docs/routing.md) against the broker's real wiring: a namespace
 * file with life-cycle events on and three subscriptions, two real HTTP receivers that record what
 * they get, a third that never answers, and real MQTT 5 clients. Each receiver must get exactly the
 * events its filter passes, and the stuck one must hold up neither.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=1000",
      "routing.max-requests-in-flight=1",
      // a small buffer per subscription: the stuck one fills its own, and only its own
      "routing.buffer-events=3",
      // the stuck subscription holds events until the end: the node waits for them this long
      "shutdown.grace-period=1",
      "management.token=" + EventSubscriptionsIT.TOKEN
    },
    configMethod = "subscribeTheReceivers")
class EventSubscriptionsIT {

  static final String TOKEN = "subscriptions-admin-token-1234567890";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CONNECTED = "Microsoft.EventGrid.MQTTClientSessionConnected";
  private static final String DISCONNECTED = "Microsoft.EventGrid.MQTTClientSessionDisconnected";

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpReceivers receivers;
  static HttpServer hot;
  static HttpServer sessions;
  static HttpServer stuck;

  /** Events each receiver got, in order. */
  static final ConcurrentLinkedQueue<JsonObject> hotEvents = new ConcurrentLinkedQueue<>();

  static final ConcurrentLinkedQueue<JsonObject> sessionEvents = new ConcurrentLinkedQueue<>();

  /** Requests the stuck receiver got (and never answered). */
  static final AtomicInteger stuckRequests = new AtomicInteger();

  static Map<String, String> subscribeTheReceivers() throws Exception {
    receivers = new HttpReceivers();
    hot = recorder(hotEvents);
    sessions = recorder(sessionEvents);
    stuck =
        receivers.listen(
            WebhookReceivers.receiving((req, body) -> stuckRequests.incrementAndGet()));
    tokens = TestTokens.create();
    Path file = tokens.writeNamespace(dir);
    String settings =
        """
        settings:
          clientLifecycleEvents: { enabled: true }
          routingEnrichments:
            static:
              - { key: site, valueType: String, value: plant1 }
          eventSubscriptions:
            - name: hot-machines
              filter:
                includedEventTypes: [MQTT.EventPublished]
                subjectBeginsWith: factory1/
                advancedFilters:
                  - { operatorType: NumberGreaterThan, key: data.temp, value: 30 }
                  - { operatorType: StringIn, key: site, values: [PLANT1] }
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/hot" }
            - name: sessions
              filter:
                includedEventTypes: [%s, %s]
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/sessions", maxEventsPerBatch: 10 }
            - name: stuck
              destination:
                webhook: { endpointUrl: "http://127.0.0.1:%d/stuck" }
        """
            .formatted(
                hot.actualPort(),
                CONNECTED,
                DISCONNECTED,
                sessions.actualPort(),
                stuck.actualPort());
    Files.writeString(file, Files.readString(file).replace("settings:\n", settings));
    return Map.of("namespace.file", file.toString(), "namespace.name", "testnamespace");
  }

  /** A receiver that records each event (structured or batched) and answers 200. */
  private static HttpServer recorder(ConcurrentLinkedQueue<JsonObject> events) throws Exception {
    return receivers.listen(WebhookReceivers.collecting(events::add));
  }

  @AfterAll
  static void stopReceivers() throws Exception {
    Closeables.closeAll(receivers);
  }

  @BeforeEach
  void clear() {
    hotEvents.clear();
    sessionEvents.clear();
  }

  @Test
  void eachSubscriptionGetsExactlyTheEventsItsFilterPassesAndAStuckOneHoldsUpNeither()
      throws Exception {
    double bufferFullBefore = metric("mqtt_failed_routed_messages_total", "BufferFull");
    Mqtt5BlockingClient c = broker.v5("machine-7");
    c.connect();
    try {
      json(c, "factory1/machine-7/telemetry", "{\"temp\": 35, \"n\": 1}"); // hot
      json(c, "factory1/machine-7/telemetry", "{\"temp\": 20, \"n\": 2}"); // too cold
      json(c, "factory2/machine-7/telemetry", "{\"temp\": 40, \"n\": 3}"); // another factory
      c.publishWith() // bytes: no data.temp to compare
          .topic("factory1/machine-7/raw")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("{\"temp\": 50}".getBytes(StandardCharsets.UTF_8))
          .send();
      json(c, "factory1/machine-7/telemetry", "{\"temp\": 99.5, \"n\": 5}"); // hot, the last one
    } finally {
      c.disconnect();
    }

    // one request at a time per subscription: each receiver gets its events in order
    Await.until("the last hot event arrives", WAIT, () -> hotEvents.size() >= 2);
    assertThat(hotEvents)
        .extracting(e -> e.getJsonObject("data").getInteger("n"))
        .containsExactly(1, 5);
    assertThat(hotEvents)
        .allSatisfy(
            e -> {
              assertThat(e.getString("type")).isEqualTo("MQTT.EventPublished");
              assertThat(e.getString("subject")).isEqualTo("factory1/machine-7/telemetry");
              assertThat(e.getString("site")).isEqualTo("plant1");
            });

    Await.until(
        "the Disconnected event arrives",
        WAIT,
        () -> sessionEvents.stream().anyMatch(e -> e.getString("type").equals(DISCONNECTED)));
    // only session events; those of this client (another test's may arrive late) in order
    assertThat(sessionEvents)
        .extracting(e -> e.getString("type"))
        .allMatch(t -> t.equals(CONNECTED) || t.equals(DISCONNECTED));
    assertThat(sessionEvents)
        .filteredOn(e -> e.getString("subject").contains("machine-7"))
        .extracting(e -> e.getString("type") + " " + e.getString("subject"))
        .containsExactly(
            CONNECTED + " clients/machine-7/sessions/machine-7",
            DISCONNECTED + " clients/machine-7/sessions/machine-7");

    // the stuck subscription took its share (7 events) into its own buffer of 3: the rest were
    // dropped there, counted, while the others got all theirs
    Await.until("the stuck webhook is asked", WAIT, () -> stuckRequests.get() > 0);
    Await.until(
        "the stuck subscription's full buffer is counted",
        WAIT,
        () -> metric("mqtt_failed_routed_messages_total", "BufferFull") >= bufferFullBefore + 4);
    assertThat(hotEvents).hasSize(2);
    assertThat(sessionEvents)
        .filteredOn(e -> e.getString("subject").contains("machine-7"))
        .hasSize(2);
  }

  @Test
  void subscriptionsAreShownAndCheckedByTheManagementApi() throws Exception {
    String path = "/namespaces/testnamespace";
    JsonObject settings =
        new JsonObject(management("GET", path, null).body())
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    JsonArray subs = settings.getJsonArray("eventSubscriptions");
    assertThat(subs).hasSize(3);
    assertThat(subs.getJsonObject(0).getJsonObject("filter"))
        .isEqualTo(
            new JsonObject(
                """
                {"includedEventTypes": ["MQTT.EventPublished"], "subjectBeginsWith": "factory1/",
                 "isSubjectCaseSensitive": false, "enableAdvancedFilteringOnArrays": false,
                 "advancedFilters": [
                   {"operatorType": "NumberGreaterThan", "key": "data.temp", "value": 30.0},
                   {"operatorType": "StringIn", "key": "site", "values": ["PLANT1"]}]}"""));
    JsonObject wrong = settings.copy();
    wrong
        .getJsonArray("eventSubscriptions")
        .getJsonObject(0)
        .getJsonObject("filter")
        .getJsonArray("advancedFilters")
        .getJsonObject(0)
        .put("value", "thirty");
    HttpResponse<String> refused =
        management(
            "PUT",
            path,
            new JsonObject()
                .put("properties", new JsonObject().put("topicSpacesConfiguration", wrong))
                .encode());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body())
        .contains("settings.eventSubscriptions.hot-machines.filter.advancedFilters[0].value");
    // nothing changed
    assertThat(
            new JsonObject(management("GET", path, null).body())
                .getJsonObject("properties")
                .getJsonObject("topicSpacesConfiguration")
                .getJsonArray("eventSubscriptions"))
        .isEqualTo(subs);
  }

  @Test
  void subscriptionsChangeLiveThroughTheManagementApi() throws Exception {
    String path = "/namespaces/testnamespace";
    JsonObject original =
        new JsonObject(management("GET", path, null).body())
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    JsonObject changed = original.copy();
    JsonArray subs = changed.getJsonArray("eventSubscriptions");
    // hot-machines now wants factory2, and the stuck subscription goes
    subs.getJsonObject(0).getJsonObject("filter").put("subjectBeginsWith", "factory2/");
    subs.remove(2);
    try {
      Mqtt5BlockingClient c = broker.v5("machine-8");
      c.connect();
      try {
        // the stuck subscription holds what it took, waiting for its webhook
        json(c, "factory2/machine-8/telemetry", "{\"temp\": 41, \"n\": 1}");
        Await.until("the stuck webhook is asked", WAIT, () -> stuckRequests.get() > 0);
        double goneBefore = metric("mqtt_failed_routed_messages_total", "TopicNotFoundError");
        hotEvents.clear();
        assertThat(put(path, changed).statusCode()).isEqualTo(200);
        json(c, "factory1/machine-8/telemetry", "{\"temp\": 42, \"n\": 2}");
        json(c, "factory2/machine-8/telemetry", "{\"temp\": 43, \"n\": 3}");
        Await.until("the factory2 reading arrives", WAIT, () -> !hotEvents.isEmpty());
        assertThat(hotEvents)
            .extracting(e -> e.getJsonObject("data").getInteger("n"))
            .containsExactly(3);
        // what the removed subscription held is dropped, counted
        Await.until(
            "the removed subscription's events are counted",
            WAIT,
            () -> metric("mqtt_failed_routed_messages_total", "TopicNotFoundError") > goneBefore);
      } finally {
        c.disconnect();
      }
    } finally {
      put(path, original);
    }
  }

  @Test
  void aRemovedSubscriptionsOwnMetersGoAndReadinessShowsWhichDestinationsFail() throws Exception {
    String path = "/namespaces/testnamespace";
    JsonObject original =
        new JsonObject(management("GET", path, null).body())
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    Mqtt5BlockingClient c = broker.v5("machine-9");
    c.connect();
    try {
      json(c, "factory9/machine-9/telemetry", "{\"temp\": 1}");
    } finally {
      c.disconnect();
    }
    // the stuck webhook never answers: its requests time out (1 s), failed
    Await.until(
        "readiness shows the stuck subscription failing",
        WAIT,
        () -> failingDestinations().contains("eventSubscriptions/stuck"));
    HttpResponse<String> ready = management("GET", "/health/ready", null);
    assertThat(ready.statusCode()).isEqualTo(200); // a failing destination is not the node's fault
    JsonObject routing = new JsonObject(ready.body()).getJsonObject("routing");
    assertThat(routing.getInteger("bufferedEvents")).isPositive();
    assertThat(routing.getInteger("fullestBufferPercent")).isBetween(1, 100);
    assertThat(routing.getJsonArray("failingDestinations"))
        .doesNotContain("eventSubscriptions/hot-machines", "eventSubscriptions/sessions");
    Await.until(
        "the stuck subscription's own counters are there",
        WAIT,
        () -> broker.scrapeMetrics().contains("Subscription=\"stuck\""));

    JsonObject changed = original.copy();
    changed.getJsonArray("eventSubscriptions").remove(2);
    try {
      assertThat(put(path, changed).statusCode()).isEqualTo(200);
      Await.until(
          "the removed subscription's own counters are gone",
          WAIT,
          () -> !broker.scrapeMetrics().contains("Subscription=\"stuck\""));
      assertThat(failingDestinations()).doesNotContain("eventSubscriptions/stuck");
    } finally {
      put(path, original);
    }
  }

  private static JsonArray failingDestinations() throws Exception {
    JsonObject routing =
        new JsonObject(management("GET", "/health/ready", null).body()).getJsonObject("routing");
    return routing == null ? new JsonArray() : routing.getJsonArray("failingDestinations");
  }

  private static HttpResponse<String> put(String path, JsonObject settings) throws Exception {
    return management(
        "PUT",
        path,
        new JsonObject()
            .put("properties", new JsonObject().put("topicSpacesConfiguration", settings))
            .encode());
  }

  private static void json(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static HttpResponse<String> management(String method, String path, String body)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.managementPort() + path))
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  private static double metric(String name, String error) throws Exception {
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
      if (m.group(1).equals(name) && labels.contains("Error=\"" + error + "\"")) {
        return Double.parseDouble(m.group(3));
      }
    }
    return 0;
  }
}
