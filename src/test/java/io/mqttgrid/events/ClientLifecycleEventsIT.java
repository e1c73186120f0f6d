package io.mqttgrid.events;

import static io.mqttgrid.testing.ReceivedEvents.withoutIdAndTime;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.auth.PasswordHashes;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.RawMqttClient;
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
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session life-cycle events (spec section 7, docs/routing.md) against the broker's real wiring: a
 * namespace file routing to a real HTTP receiver with client life-cycle events on, real MQTT
 * clients connecting and leaving in each way the broker tells apart.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=200",
      "routing.timeout-ms=2000",
      "management.token=" + ClientLifecycleEventsIT.TOKEN,
      "events.coalesce-window-ms=" + ClientLifecycleEventsIT.WINDOW_MILLIS,
      "namespace.watch-interval=1"
    },
    configMethod = "routeToTheReceiver")
class ClientLifecycleEventsIT {

  static final String TOKEN = "lifecycle-admin-token-1234567890";

  /** Registry changes of a client within this window of the first are one event. */
  static final long WINDOW_MILLIS = 1500;

  /** A client of the registry, with a password: the model's rules apply to it. */
  static final String DEVICE = "device-1";

  static final String PASSWORD = "device-1-password";

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpReceivers receivers;
  static HttpServer receiver;
  static Path namespaceFile;

  /** The receiver answers 503 to the first request holding this text, then forgets it. */
  static volatile String refuseOnce;

  /** A request's body and content type. */
  record Body(String contentType, String text) {}

  /** Every request body the receiver got. */
  static final ConcurrentLinkedQueue<Body> bodies = new ConcurrentLinkedQueue<>();

  /** Every event the receiver got, in the order it got them. */
  static final ConcurrentLinkedQueue<JsonObject> received = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  String text = body.toString().trim();
                  bodies.add(new Body(req.getHeader("Content-Type"), text));
                  String refuse = refuseOnce;
                  if (refuse != null && text.contains(refuse)) {
                    refuseOnce = null;
                    req.response().setStatusCode(503).end();
                    return;
                  }
                  received.addAll(WebhookReceivers.events(body));
                  req.response().setStatusCode(200).end();
                }));
    tokens = TestTokens.create();
    namespaceFile = tokens.writeNamespace(dir);
    String routing =
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
          clientLifecycleEvents: { enabled: true }
        """
            .formatted(receiver.actualPort());
    String device =
        """
        clients:
          %s: { passwordHash: "%s" }
        """
            .formatted(DEVICE, PasswordHashes.hash(PASSWORD.toCharArray(), 1));
    Files.writeString(
        namespaceFile,
        Files.readString(namespaceFile)
                .replace("settings:\n", routing)
                .replace(
                    "  clientAuthentication:\n",
                    "  clientAuthentication:\n    passwordAuthentication: { enabled: true }\n")
            + device);
    return Map.of("namespace.file", namespaceFile.toString(), "namespace.name", "testnamespace");
  }

  @AfterAll
  static void stopReceiver() throws Exception {
    Closeables.closeAll(receivers);
  }

  /** The session events of {@code clientId}, once there are {@code n} of them. */
  static List<JsonObject> sessionEvents(String clientId, int n) {
    return sessionEvents(clientId, clientId, n);
  }

  /** The session events of {@code authenticationName}'s session {@code clientId}. */
  static List<JsonObject> sessionEvents(String authenticationName, String clientId, int n) {
    String subject = "clients/" + authenticationName + "/sessions/" + clientId;
    Await.until(
        n + " life-cycle events of " + clientId,
        WAIT,
        () -> received.stream().filter(e -> subject.equals(e.getString("subject"))).count() >= n);
    return received.stream().filter(e -> subject.equals(e.getString("subject"))).toList();
  }

  static JsonObject expected(String type, String clientId, long sequence, String reason) {
    JsonObject data =
        new JsonObject()
            .put("namespaceName", "testnamespace")
            .put("clientAuthenticationName", clientId)
            .put("clientSessionName", clientId)
            .put("sequenceNumber", sequence);
    if (reason != null) {
      data.put("disconnectionReason", reason);
    }
    return new JsonObject()
        .put("specversion", "1.0")
        .put("type", type)
        .put("source", "/namespaces/testnamespace")
        .put("subject", "clients/" + clientId + "/sessions/" + clientId)
        .put("data", data);
  }

  static final String CONNECTED = "Microsoft.EventGrid.MQTTClientSessionConnected";
  static final String DISCONNECTED = "Microsoft.EventGrid.MQTTClientSessionDisconnected";

  @Test
  void aConnectionAndItsDisconnectGiveConnectedAndDisconnectedWithOneSequenceNumber() {
    long before = System.currentTimeMillis();
    Mqtt5BlockingClient c = broker.v5("lifecycle-1");
    c.connect();
    c.disconnect();
    List<JsonObject> events = sessionEvents("lifecycle-1", 2);
    long after = System.currentTimeMillis();
    System.out.println("Connected event seen: " + events.get(0).encode());
    System.out.println("Disconnected event seen: " + events.get(1).encode());
    assertThat(withoutIdAndTime(events.get(0), before, after))
        .isEqualTo(expected(CONNECTED, "lifecycle-1", 1, null));
    assertThat(withoutIdAndTime(events.get(1), before, after))
        .isEqualTo(expected(DISCONNECTED, "lifecycle-1", 1, "ClientInitiatedDisconnect"));
  }

  @Test
  void eachNewConnectionOfASessionGetsTheNextNumber() {
    for (int i = 0; i < 3; i++) {
      Mqtt5BlockingClient c = broker.v5("lifecycle-again");
      c.connect();
      c.disconnect();
    }
    List<JsonObject> events = sessionEvents("lifecycle-again", 6);
    // delivery order is not guaranteed: each number has one Connected and one Disconnected
    for (long n = 1; n <= 3; n++) {
      long seq = n;
      assertThat(
              events.stream()
                  .filter(e -> e.getJsonObject("data").getLong("sequenceNumber") == seq)
                  .map(e -> e.getString("type"))
                  .sorted()
                  .toList())
          .isEqualTo(List.of(CONNECTED, DISCONNECTED));
    }
  }

  @Test
  void aSocketThatDropsIsConnectionLost() {
    RawMqttClient raw =
        RawMqttClient.connected(broker.mqttPort(), 5, new RawMqttClient.Connect("lifecycle-drop"));
    raw.close();
    List<JsonObject> events = sessionEvents("lifecycle-drop", 2);
    JsonObject disconnected = ofType(events, DISCONNECTED);
    assertThat(disconnected.getJsonObject("data").getString("disconnectionReason"))
        .isEqualTo("ConnectionLost");
    assertThat(disconnected.getJsonObject("data").getLong("sequenceNumber")).isEqualTo(1);
  }

  @Test
  void aKeepAliveThatRunsOutIsConnectionLost() {
    // keep-alive 1 s and no PINGREQ: the broker ends the connection after 1.5 s
    RawMqttClient raw =
        RawMqttClient.connected(
            broker.mqttPort(), 5, new RawMqttClient.Connect("lifecycle-idle").keepAlive(1));
    try {
      List<JsonObject> events = sessionEvents("lifecycle-idle", 2);
      assertThat(
              ofType(events, DISCONNECTED).getJsonObject("data").getString("disconnectionReason"))
          .isEqualTo("ConnectionLost");
    } finally {
      raw.close();
    }
  }

  @Test
  void aSecondConnectionTakesTheSessionOverWithTheNextNumber() {
    Mqtt5BlockingClient first = broker.v5("lifecycle-takeover");
    first.connect();
    sessionEvents("lifecycle-takeover", 1);
    Mqtt5BlockingClient second = broker.v5("lifecycle-takeover");
    second.connect();
    try {
      List<JsonObject> events = sessionEvents("lifecycle-takeover", 3);
      JsonObject disconnected = ofType(events, DISCONNECTED);
      assertThat(disconnected.getJsonObject("data").getLong("sequenceNumber")).isEqualTo(1);
      assertThat(disconnected.getJsonObject("data").getString("disconnectionReason"))
          .isEqualTo("SessionTakenOver");
      assertThat(
              events.stream()
                  .filter(e -> e.getString("type").equals(CONNECTED))
                  .map(e -> e.getJsonObject("data").getLong("sequenceNumber"))
                  .sorted()
                  .toList())
          .containsExactly(1L, 2L);
    } finally {
      second.disconnect();
    }
  }

  @Test
  void aSubscriptionNoLongerGrantedIsAClientAuthorizationError() throws Exception {
    Mqtt5BlockingClient c = broker.v5("lifecycle-authz");
    c.connectWith()
        .simpleAuth()
        .username(DEVICE)
        .password(PASSWORD.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    try {
      c.subscribeWith().topicFilter("retained/authz").qos(MqttQos.AT_LEAST_ONCE).send();
      // the topic space the subscription was granted by no longer covers it
      assertThat(topicSpace("[\"elsewhere/#\"]")).isEqualTo(200);
      List<JsonObject> events = sessionEvents(DEVICE, "lifecycle-authz", 2);
      JsonObject disconnected = ofType(events, DISCONNECTED);
      assertThat(disconnected.getJsonObject("data").getString("disconnectionReason"))
          .isEqualTo("ClientAuthorizationError");
      assertThat(disconnected.getJsonObject("data").getString("clientAuthenticationName"))
          .isEqualTo(DEVICE);
    } finally {
      assertThat(topicSpace("[\"retained/#\"]")).isEqualTo(200);
    }
  }

  @Test
  void aSessionEndedForOverflowAndANodeShuttingDownSayWhy() throws Exception {
    // a namespace of its own (another cluster): no registry clients, whose events would reach the
    // receiver too
    Path ownFile = dir.resolve("own-namespace.yaml");
    Files.writeString(
        ownFile,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
          clientLifecycleEvents: { enabled: true }
        """
            .formatted(receiver.actualPort()));
    TestBroker own =
        TestBroker.start(
            Map.of(
                "namespace.file",
                ownFile.toString(),
                "namespace.name",
                "testnamespace",
                "session.overflow",
                "terminate-session",
                "session.max-pending-messages",
                "2",
                "routing.retry-delays-ms",
                "200"));
    try (RawMqttClient stalled =
        RawMqttClient.connected(
            own.mqttPort(),
            5,
            new RawMqttClient.Connect("lifecycle-overflow").keepAlive(0).receiveMaximum(1))) {
      stalled.send(RawMqttClient.Packets.subscribe(5, 1, "retained/overflow", 1));
      assertThat(stalled.read(WAIT).reasonCode()).isEqualTo(1);
      Mqtt5BlockingClient publisher = own.v5("lifecycle-publisher");
      publisher.connect();
      // never acknowledged: one in flight, two waiting, the fourth breaks the bound
      for (int i = 0; i < 5; i++) {
        try {
          publisher
              .publishWith()
              .topic("retained/overflow")
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(new byte[] {(byte) i})
              .send();
        } catch (Mqtt5PubAckException e) {
          // the session was behind, so the publisher's acknowledgement waited for the message: the
          // one that broke the bound is refused to it (0x97), not acknowledged and dropped
          assertThat(e.getMqttMessage().getReasonCode())
              .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
        }
      }
      List<JsonObject> events = sessionEvents("lifecycle-overflow", 2);
      assertThat(
              ofType(events, DISCONNECTED).getJsonObject("data").getString("disconnectionReason"))
          .isEqualTo("SessionOverflow");
      // the node stops with the publisher connected: its Disconnected event goes out before the
      // node does, even when the webhook refuses it the first time
      sessionEvents("lifecycle-publisher", 1);
      refuseOnce = "ServerInitiatedDisconnect";
    } finally {
      own.close();
    }
    List<JsonObject> events = sessionEvents("lifecycle-publisher", 2);
    assertThat(ofType(events, DISCONNECTED).getJsonObject("data").getString("disconnectionReason"))
        .isEqualTo("ServerInitiatedDisconnect");
  }

  @Test
  void turnedOffThroughTheManagementApiNoSessionEventsAreSentWhileMessagesStillAre()
      throws Exception {
    JsonObject settings =
        new JsonObject(managementBody("GET", "", null))
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    JsonObject off =
        settings.copy().put("clientLifecycleEvents", new JsonObject().put("enabled", false));
    assertThat(
            management(
                "PUT",
                "",
                new JsonObject()
                    .put("properties", new JsonObject().put("topicSpacesConfiguration", off))
                    .encode()))
        .isEqualTo(200);
    try {
      Mqtt5BlockingClient c = broker.v5("lifecycle-off");
      c.connect();
      c.publishWith().topic("devices/lifecycle-off").qos(MqttQos.AT_LEAST_ONCE).send();
      c.disconnect();
      Await.until(
          "the routed message",
          WAIT,
          () ->
              received.stream()
                  .anyMatch(e -> "devices/lifecycle-off".equals(e.getString("subject"))));
      assertThat(received.stream().filter(e -> e.getString("subject").contains("lifecycle-off")))
          .hasSize(1);
    } finally {
      assertThat(
              management(
                  "PUT",
                  "",
                  new JsonObject()
                      .put("properties", new JsonObject().put("topicSpacesConfiguration", settings))
                      .encode()))
          .isEqualTo(200);
    }
    Mqtt5BlockingClient c = broker.v5("lifecycle-on-again");
    c.connect();
    c.disconnect();
    sessionEvents("lifecycle-on-again", 2);
  }

  @Test
  void inTheEventGridSchemaSessionEventsComeAsAJsonArrayWithEventGridsFields() throws Exception {
    JsonObject settings =
        new JsonObject(managementBody("GET", "", null))
            .getJsonObject("properties")
            .getJsonObject("topicSpacesConfiguration");
    JsonObject eventGrid =
        settings
            .copy()
            .put(
                "clientLifecycleEvents",
                new JsonObject()
                    .put("enabled", true)
                    .put("eventDeliverySchema", "EventGridSchema"));
    assertThat(
            management(
                "PUT",
                "",
                new JsonObject()
                    .put("properties", new JsonObject().put("topicSpacesConfiguration", eventGrid))
                    .encode()))
        .isEqualTo(200);
    try {
      long before = System.currentTimeMillis();
      Mqtt5BlockingClient c = broker.v5("lifecycle-eg");
      c.connect();
      c.disconnect();
      String subject = "clients/lifecycle-eg/sessions/lifecycle-eg";
      Await.until(
          "two Event Grid schema events",
          WAIT,
          () -> bodies.stream().filter(b -> b.text().contains(subject)).count() >= 2);
      long after = System.currentTimeMillis();
      List<Body> mine = bodies.stream().filter(b -> b.text().contains(subject)).toList();
      for (Body b : mine) {
        assertThat(b.contentType()).isEqualTo("application/json");
        assertThat(new JsonArray(b.text())).hasSize(1);
      }
      JsonObject connected = new JsonArray(mine.get(0).text()).getJsonObject(0);
      System.out.println("Event Grid schema event seen: " + connected.encode());
      assertThat(connected.getString("id")).matches("[0-9a-f-]{36}");
      assertThat(OffsetDateTime.parse(connected.getString("eventTime")).toInstant().toEpochMilli())
          .isBetween(before, after);
      connected.remove("id");
      connected.remove("eventTime");
      assertThat(connected)
          .isEqualTo(
              new JsonObject(
                  """
                  {"eventType":"Microsoft.EventGrid.MQTTClientSessionConnected",
                   "topic":"/namespaces/testnamespace",
                   "subject":"clients/lifecycle-eg/sessions/lifecycle-eg",
                   "data":{"namespaceName":"testnamespace","clientAuthenticationName":"lifecycle-eg",
                           "clientSessionName":"lifecycle-eg","sequenceNumber":1},
                   "dataVersion":"1","metadataVersion":"1"}
                  """));
      assertThat(
              new JsonArray(mine.get(1).text())
                  .getJsonObject(0)
                  .getJsonObject("data")
                  .getString("disconnectionReason"))
          .isEqualTo("ClientInitiatedDisconnect");
    } finally {
      assertThat(
              management(
                  "PUT",
                  "",
                  new JsonObject()
                      .put("properties", new JsonObject().put("topicSpacesConfiguration", settings))
                      .encode()))
          .isEqualTo(200);
    }
  }

  /** Replaces the templates of the file's topic space {@code http-read}; answers the status. */
  static int topicSpace(String templates) throws Exception {
    return management(
        "PUT",
        "/topicSpaces/http-read",
        "{\"properties\": {\"topicTemplates\": " + templates + "}}");
  }

  /** A request to the namespace's management API; answers the status. */
  static int management(String method, String path, String body) throws Exception {
    return request(method, path, body).statusCode();
  }

  /** A request to the namespace's management API; answers the body. */
  static String managementBody(String method, String path, String body) throws Exception {
    return request(method, path, body).body();
  }

  static HttpResponse<String> request(String method, String path, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + broker.managementPort()
                            + "/namespaces/testnamespace"
                            + path))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  // ---------------------------------------------------------------- registry changes

  static final String CREATED_OR_UPDATED = "Microsoft.EventGrid.MQTTClientCreatedOrUpdated";
  static final String DELETED = "Microsoft.EventGrid.MQTTClientDeleted";

  /** The registry events of client {@code name}. */
  static List<JsonObject> clientEvents(String name) {
    return received.stream()
        .filter(e -> ("clients/" + name).equals(e.getString("subject")))
        .toList();
  }

  /** The registry events of {@code name}, once there is one, and a window later (no second one). */
  static List<JsonObject> clientEventsAfterTheirWindow(String name) throws Exception {
    Await.until("an event for client " + name, WAIT, () -> !clientEvents(name).isEmpty());
    Thread.sleep(WINDOW_MILLIS + 500);
    return clientEvents(name);
  }

  @Test
  void aClientCreatedThenUpdatedTwiceWithinTheWindowIsOneEventWithItsFinalState() throws Exception {
    long before = System.currentTimeMillis();
    assertThat(
            management(
                "PUT",
                "/clients/sensor-7",
                "{\"properties\": {\"authenticationName\": \"sensor-7-auth\","
                    + " \"attributes\": {\"floor\": \"1\"}}}"))
        .isEqualTo(201);
    assertThat(
            management(
                "PUT",
                "/clients/sensor-7",
                "{\"properties\": {\"authenticationName\": \"sensor-7-auth\","
                    + " \"attributes\": {\"floor\": \"2\"}}}"))
        .isEqualTo(200);
    assertThat(
            management(
                "PUT",
                "/clients/sensor-7",
                "{\"properties\": {\"authenticationName\": \"sensor-7-auth\", \"state\":"
                    + " \"Disabled\", \"attributes\": {\"floor\": \"3\", \"room\": [\"a\","
                    + " \"b\"]}}}"))
        .isEqualTo(200);
    List<JsonObject> events = clientEventsAfterTheirWindow("sensor-7");
    long after = System.currentTimeMillis();
    assertThat(events).hasSize(1);
    JsonObject event = withoutIdAndTime(events.get(0), before, after);
    JsonObject data = event.getJsonObject("data");
    long created = OffsetDateTime.parse(data.getString("createdOn")).toInstant().toEpochMilli();
    long updated = OffsetDateTime.parse(data.getString("updatedOn")).toInstant().toEpochMilli();
    assertThat(created).isBetween(before, updated);
    assertThat(updated).isLessThanOrEqualTo(after);
    data.remove("createdOn");
    data.remove("updatedOn");
    assertThat(event)
        .isEqualTo(
            new JsonObject(
                """
                {"specversion":"1.0","type":"Microsoft.EventGrid.MQTTClientCreatedOrUpdated",
                 "source":"/namespaces/testnamespace","subject":"clients/sensor-7",
                 "data":{"namespaceName":"testnamespace","clientName":"sensor-7",
                         "clientAuthenticationName":"sensor-7-auth","state":"Disabled",
                         "attributes":{"floor":"3","room":["a","b"]}}}
                """));
    assertThat(management("DELETE", "/clients/sensor-7", null)).isEqualTo(200);
  }

  @Test
  void aClientCreatedThenDeletedWithinTheWindowIsOnlyDeleted() throws Exception {
    assertThat(management("PUT", "/clients/sensor-8", "{\"properties\": {}}")).isEqualTo(201);
    assertThat(management("DELETE", "/clients/sensor-8", null)).isEqualTo(200);
    List<JsonObject> events = clientEventsAfterTheirWindow("sensor-8");
    assertThat(events).hasSize(1);
    JsonObject event = events.get(0).copy();
    event.remove("id");
    event.remove("time");
    assertThat(event)
        .isEqualTo(
            new JsonObject(
                """
                {"specversion":"1.0","type":"Microsoft.EventGrid.MQTTClientDeleted",
                 "source":"/namespaces/testnamespace","subject":"clients/sensor-8",
                 "data":{"namespaceName":"testnamespace","clientName":"sensor-8",
                         "clientAuthenticationName":"sensor-8"}}
                """));
  }

  @Test
  void aClientTheNamespaceFileAddsOnReloadIsCreatedOnceAndDeletedWhenItGoes() throws Exception {
    String original = Files.readString(namespaceFile);
    Files.writeString(
        namespaceFile, original + "  file-sensor: { attributes: { floor: \"4\" } }\n");
    List<JsonObject> events;
    try {
      events = clientEventsAfterTheirWindow("file-sensor");
      assertThat(events).hasSize(1);
      assertThat(events.get(0).getString("type")).isEqualTo(CREATED_OR_UPDATED);
      assertThat(events.get(0).getJsonObject("data").getJsonObject("attributes"))
          .isEqualTo(new JsonObject().put("floor", "4"));
    } finally {
      Files.writeString(namespaceFile, original);
    }
    Await.until(
        "a second event for file-sensor", WAIT, () -> clientEvents("file-sensor").size() > 1);
    assertThat(clientEvents("file-sensor").get(1).getString("type")).isEqualTo(DELETED);
  }

  @Test
  void aConnectedClientDeletedFromTheRegistryIsAnAuthenticationErrorAndADeletedEvent()
      throws Exception {
    assertThat(
            management(
                "PUT",
                "/clients/doomed",
                "{\"properties\": {\"passwordHash\": \""
                    + PasswordHashes.hash(PASSWORD.toCharArray(), 1)
                    + "\"}}"))
        .isEqualTo(201);
    Mqtt5BlockingClient c = broker.v5("lifecycle-doomed");
    c.connectWith()
        .simpleAuth()
        .username("doomed")
        .password(PASSWORD.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    sessionEvents("doomed", "lifecycle-doomed", 1);
    assertThat(management("DELETE", "/clients/doomed", null)).isEqualTo(200);
    List<JsonObject> events = sessionEvents("doomed", "lifecycle-doomed", 2);
    assertThat(ofType(events, DISCONNECTED).getJsonObject("data").getString("disconnectionReason"))
        .isEqualTo("ClientAuthenticationError");
    // created and deleted within one window
    Await.until(
        "the client's Deleted event",
        WAIT,
        () -> clientEvents("doomed").stream().anyMatch(e -> e.getString("type").equals(DELETED)));
    assertThat(clientEvents("doomed")).hasSize(1);
  }

  static JsonObject ofType(List<JsonObject> events, String type) {
    return events.stream().filter(e -> e.getString("type").equals(type)).findFirst().orElseThrow();
  }
}
