package io.mqttgrid.events;

import static io.mqttgrid.testing.ReceivedEvents.withoutIdAndTime;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing to a webhook (docs/routing.md) against the broker's real wiring: a namespace file with a
 * route destination and enrichments, real MQTT 5 and HTTP publishers, and a real HTTP receiver that
 * records what it was sent and answers what a test tells it to.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=2000",
      "routing.max-requests-in-flight=1",
      "management.token=" + WebhookRoutingIT.TOKEN
    },
    configMethod = "routeToTheReceiver")
class WebhookRoutingIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  static final String TOKEN = "routing-admin-token-1234567890";

  /** Milliseconds the receiver waits before it answers. */
  static volatile long answerDelayMillis;

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpReceivers receivers;
  static HttpServer receiver;

  /** Bodies (with their content type) the receiver got, in order. */
  static final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();

  /** Statuses the receiver answers with, one per request, before answering 200 again. */
  static final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();

  record Received(String contentType, String body) {}

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  Integer status = answers.poll();
                  int answer = status == null ? 200 : status;
                  if (answer == 200) {
                    received.add(new Received(req.getHeader("Content-Type"), body.toString()));
                  }
                  long delay = answerDelayMillis;
                  if (delay == 0) {
                    req.response().setStatusCode(answer).end();
                  } else {
                    receivers
                        .vertx()
                        .setTimer(delay, t -> req.response().setStatusCode(answer).end());
                  }
                }));
    tokens = TestTokens.create();
    Path file = tokens.writeNamespace(dir);
    String routing =
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
          routingEnrichments:
            static:
              - { key: region, valueType: String, value: eu1 }
            dynamic:
              - { key: clientname, value: "${client.authenticationName}" }
              - { key: devicetype, value: "${mqtt.message.userProperties.type}" }
              - { key: odd, value: "${mqtt.message.userProperties['a b']}" }
              - { key: mqttpfi, value: "${mqtt.message.pfi}" }
              - { key: mqttcorrelationdata, value: "${mqtt.message.correlationData}" }
              - { key: mqttresponsetopic, value: "${mqtt.message.responseTopic}" }
        """
            .formatted(receiver.actualPort());
    String yaml = Files.readString(file).replace("settings:\n", routing);
    Files.writeString(file, yaml);
    return Map.of("namespace.file", file.toString(), "namespace.name", "testnamespace");
  }

  @AfterAll
  static void stopReceiver() throws Exception {
    Closeables.closeAll(receivers);
  }

  @BeforeEach
  void clear() throws Exception {
    // what an earlier test left in flight is delivered and counted before this one counts
    Await.until(
        "the routing buffer is empty",
        WAIT,
        () -> metric("mqttgrid_routing_buffered_events", null) == 0);
    received.clear();
    answers.clear();
    answerDelayMillis = 0;
  }

  private static JsonObject nextEvent() {
    Await.until("an event reaches the receiver", WAIT, () -> !received.isEmpty());
    Received r = received.poll();
    assertThat(r.contentType()).isEqualTo("application/cloudevents+json");
    return new JsonObject(r.body());
  }

  @Test
  void anMqtt5JsonPublishBecomesOneCloudEventWithItsJsonAsDataAndTheEnrichments() {
    Mqtt5BlockingClient c = broker.v5("sensor-1");
    c.connect();
    try {
      long before = System.currentTimeMillis();
      c.publishWith()
          .topic("devices/sensor-1/telemetry")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
          .payload("{\"temp\":21.5}".getBytes(StandardCharsets.UTF_8))
          .correlationData("request1".getBytes(StandardCharsets.UTF_8))
          .responseTopic("devices/sensor-1/reply")
          .userProperties()
          .add("type", "thermo")
          .add("type", "v2")
          .add("a b", "x")
          .applyUserProperties()
          .send();
      long after = System.currentTimeMillis();
      JsonObject event = nextEvent();
      assertThat(withoutIdAndTime(event, before, after))
          .isEqualTo(
              new JsonObject(
                  """
                  {"specversion":"1.0","type":"MQTT.EventPublished","source":"testnamespace",
                   "subject":"devices/sensor-1/telemetry","datacontenttype":"application/json",
                   "region":"eu1","clientname":"sensor-1","devicetype":"thermo,v2","odd":"x",
                   "mqttpfi":1,"mqttcorrelationdata":"cmVxdWVzdDE=",
                   "mqttresponsetopic":"devices/sensor-1/reply","data":{"temp":21.5}}
                  """));
    } finally {
      c.disconnect();
    }
  }

  @Test
  void anMqtt5BinaryPublishBecomesDataBase64AndMissingValuesAreEmpty() {
    Mqtt5BlockingClient c = broker.v5("sensor-2");
    c.connect();
    try {
      long before = System.currentTimeMillis();
      c.publishWith()
          .topic("devices/sensor-2/raw")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(new byte[] {0, 1, (byte) 0xff})
          .send();
      long after = System.currentTimeMillis();
      assertThat(withoutIdAndTime(nextEvent(), before, after))
          .isEqualTo(
              new JsonObject(
                  """
                  {"specversion":"1.0","type":"MQTT.EventPublished","source":"testnamespace",
                   "subject":"devices/sensor-2/raw","datacontenttype":"application/octet-stream",
                   "region":"eu1","clientname":"sensor-2","devicetype":"","odd":"",
                   "mqttpfi":0,"mqttcorrelationdata":"","mqttresponsetopic":"",
                   "data_base64":"AAH/"}
                  """));
    } finally {
      c.disconnect();
    }
  }

  @Test
  void anHttpPublishIsRoutedUnderTheCallersAuthenticationName() throws Exception {
    String name = "backend-routing";
    long before = System.currentTimeMillis();
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + broker.httpPort()
                                + "/mqtt/messages?topic=devices%2Fd1%2Fcmd"
                                + "&api-version=2025-02-15-preview"))
                    .header("Authorization", "Bearer " + tokens.token(name))
                    .header("Content-Type", "text/plain")
                    .header("mqtt-user-properties", "[{\"type\":\"cmd\"}]")
                    .POST(HttpRequest.BodyPublishers.ofString("reboot"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    long after = System.currentTimeMillis();
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    assertThat(withoutIdAndTime(nextEvent(), before, after))
        .isEqualTo(
            new JsonObject(
                """
                {"specversion":"1.0","type":"MQTT.EventPublished","source":"testnamespace",
                 "subject":"devices/d1/cmd","datacontenttype":"text/plain",
                 "region":"eu1","clientname":"%s","devicetype":"cmd","odd":"",
                 "mqttpfi":0,"mqttcorrelationdata":"","mqttresponsetopic":"",
                 "data_base64":"cmVib290"}
                """
                    .formatted(name)));
  }

  @Test
  void anMqtt5BinaryModeCloudEventKeepsItsOwnAttributesAndGetsTheEnrichments() {
    Mqtt5BlockingClient c = broker.v5("sensor-3");
    c.connect();
    try {
      c.publishWith()
          .topic("devices/sensor-3/events")
          .qos(MqttQos.AT_LEAST_ONCE)
          .contentType("application/json")
          .payload("{\"door\":\"open\"}".getBytes(StandardCharsets.UTF_8))
          .userProperties()
          .add("specversion", "1.0")
          .add("id", "evt-42")
          .add("source", "/site/7")
          .add("type", "com.example.door")
          .add("site", "north")
          .applyUserProperties()
          .send();
      assertThat(nextEvent())
          .isEqualTo(
              new JsonObject(
                  """
                  {"specversion":"1.0","id":"evt-42","source":"/site/7","type":"com.example.door",
                   "site":"north","datacontenttype":"application/json",
                   "region":"eu1","clientname":"sensor-3","devicetype":"com.example.door","odd":"",
                   "mqttpfi":0,"mqttcorrelationdata":"","mqttresponsetopic":"",
                   "data":{"door":"open"}}
                  """));
    } finally {
      c.disconnect();
    }
  }

  @Test
  void aWillIsRoutedWhenItIsPublished() {
    Mqtt5BlockingClient c =
        com.hivemq.client.mqtt.MqttClient.builder()
            .useMqttVersion5()
            .identifier("will-client")
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .buildBlocking();
    c.connectWith()
        .willPublish()
        .topic("devices/will-client/status")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("offline".getBytes(StandardCharsets.UTF_8))
        .applyWillPublish()
        .send();
    assertThat(received).isEmpty();
    c.disconnectWith()
        .reasonCode(
            com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode
                .DISCONNECT_WITH_WILL_MESSAGE)
        .send();
    JsonObject event = nextEvent();
    assertThat(event.getString("subject")).isEqualTo("devices/will-client/status");
    assertThat(event.getString("data_base64")).isEqualTo("b2ZmbGluZQ==");
    // a will has no publisher identity at hand (docs/routing.md)
    assertThat(event.getString("clientname")).isEmpty();
  }

  @Test
  void aWebhookAnswering503IsRetriedAndTheEventArrives() throws Exception {
    double retriedBefore = metric("mqtt_failed_routed_messages_total", "ServiceError");
    double okBefore = metric("mqtt_successful_routed_messages_total", null);
    answers.add(503);
    answers.add(503);
    publish("devices/retry/1", "one");
    JsonObject event = nextEvent();
    assertThat(event.getString("subject")).isEqualTo("devices/retry/1");
    assertThat(answers).isEmpty();
    Await.until(
        "the success is counted",
        WAIT,
        () -> metric("mqtt_successful_routed_messages_total", null) == okBefore + 1);
    assertThat(metric("mqtt_failed_routed_messages_total", "ServiceError"))
        .isEqualTo(retriedBefore + 2);
  }

  @Test
  void aWebhookAnswering404DropsTheEventCounted() throws Exception {
    double droppedBefore = metric("mqtt_failed_routed_messages_total", "TopicNotFoundError");
    answers.add(404);
    publish("devices/gone/1", "lost");
    Await.until(
        "the drop is counted",
        WAIT,
        () ->
            metric("mqtt_failed_routed_messages_total", "TopicNotFoundError") == droppedBefore + 1);
    // the next event is delivered; the dropped one was not sent again
    publish("devices/gone/2", "kept");
    assertThat(nextEvent().getString("subject")).isEqualTo("devices/gone/2");
    assertThat(received).isEmpty();
  }

  @Test
  void routingSettingsChangeThroughTheManagementApiAndBatchedModeSendsArrays() throws Exception {
    String path = "/namespaces/testnamespace";
    JsonObject ns = new JsonObject(management("GET", path, null).body());
    JsonObject settings = ns.getJsonObject("properties").getJsonObject("topicSpacesConfiguration");
    JsonObject original = settings.copy();
    assertThat(settings.getJsonObject("routeDestination"))
        .isEqualTo(
            new JsonObject()
                .put(
                    "webhook",
                    new JsonObject()
                        .put("endpointUrl", HttpReceivers.url(receiver) + "/events")
                        .put("maxEventsPerBatch", 1)));
    assertThat(settings.getJsonObject("routingEnrichments").getJsonArray("dynamic")).hasSize(6);
    settings
        .getJsonObject("routeDestination")
        .getJsonObject("webhook")
        .put("maxEventsPerBatch", 10);
    try {
      assertThat(
              management(
                      "PUT",
                      path,
                      new JsonObject()
                          .put(
                              "properties",
                              new JsonObject().put("topicSpacesConfiguration", settings))
                          .encode())
                  .statusCode())
          .isEqualTo(200);
      // one request at a time (routing.max-requests-in-flight=1) and a slow receiver: the events
      // published while the first request waits go together in the next one
      answerDelayMillis = 500;
      Mqtt5BlockingClient c = broker.v5("batcher");
      c.connect();
      try {
        for (int i = 1; i <= 3; i++) {
          c.publishWith()
              .topic("devices/batch/" + i)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(new byte[] {(byte) i})
              .send();
        }
      } finally {
        c.disconnect();
      }
      java.util.List<String> subjects = new java.util.ArrayList<>();
      int largest = 0;
      while (subjects.size() < 3) {
        Await.until("a batch reaches the receiver", WAIT, () -> !received.isEmpty());
        Received r = received.poll();
        assertThat(r.contentType()).isEqualTo("application/cloudevents-batch+json");
        io.vertx.core.json.JsonArray batch = new io.vertx.core.json.JsonArray(r.body());
        largest = Math.max(largest, batch.size());
        for (int i = 0; i < batch.size(); i++) {
          subjects.add(batch.getJsonObject(i).getString("subject"));
        }
      }
      assertThat(subjects)
          .containsExactlyInAnyOrder("devices/batch/1", "devices/batch/2", "devices/batch/3");
      assertThat(largest).isGreaterThan(1);
    } finally {
      answerDelayMillis = 0;
      management(
          "PUT",
          path,
          new JsonObject()
              .put("properties", new JsonObject().put("topicSpacesConfiguration", original))
              .encode());
    }
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

  private static void publish(String topic, String payload) {
    Mqtt5BlockingClient c = broker.v5("publisher-" + topic.replace('/', '-'));
    c.connect();
    try {
      c.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(payload.getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      c.disconnect();
    }
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  /**
   * The value of {@code name} (with {@code Error=error} when not null) on the broker, 0 if none.
   */
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
      if (m.group(1).equals(name)
          && (error == null || labels.contains("Error=\"" + error + "\""))) {
        return Double.parseDouble(m.group(3));
      }
    }
    return 0;
  }
}
