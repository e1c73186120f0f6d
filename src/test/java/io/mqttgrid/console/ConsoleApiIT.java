package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API endpoints the console added: the access explainer, the node's overview, and
 * the connections of the node with their disconnection, each behind the admin token.
 */
@WithBroker(configMethod = "brokerConfig")
class ConsoleApiIT {

  private static final String TOKEN = "console-api-admin-token-0123456789";
  private static final String NS = "/namespaces/mqttgrid";

  @TempDir static Path dir;
  static TestBroker broker;
  static WebClient web;

  static Map<String, String> brokerConfig() throws Exception {
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        clients:
          dev1: { attributes: { floor: 3 } }
          dev2: { attributes: { floor: 4 } }
        clientGroups:
          floor3: { query: "attributes.floor = 3" }
        topicSpaces:
          own: { topicTemplates: ["devices/${client.authenticationName}/#", "floors/${client.attributes.floor}"] }
          alerts: { topicTemplates: ["alerts/#"] }
        permissionBindings:
          floor3-own: { clientGroupName: floor3, topicSpaceName: own, permission: Publisher }
          all-alerts: { clientGroupName: $all, topicSpaceName: alerts, permission: Subscriber }
        """,
        StandardCharsets.UTF_8);
    return Map.of("namespace.file", file.toString(), "management.token", TOKEN);
  }

  @BeforeAll
  static void client() {
    web = WebClient.create(broker.broker().vertx());
  }

  @AfterAll
  static void close() {
    web.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body)
      throws Exception {
    return call(method, path, body, TOKEN);
  }

  private static HttpResponse<Buffer> call(
      HttpMethod method, String path, JsonObject body, String token) throws Exception {
    HttpRequest<Buffer> request = web.request(method, broker.managementPort(), "127.0.0.1", path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    Future<HttpResponse<Buffer>> sent =
        body == null ? request.send() : request.sendJsonObject(body);
    return sent.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private static JsonObject explain(JsonObject body) throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, NS + "/explainAccess", body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  @Test
  void explainerSaysWhichGroupBindingAndTemplateAllowAPublish() throws Exception {
    JsonObject x =
        explain(
            new JsonObject()
                .put("clientName", "dev1")
                .put("action", "publish")
                .put("topic", "devices/dev1/temp"));
    assertThat(x.getBoolean("allowed")).isTrue();
    assertThat(x.getJsonArray("groups").getList()).containsExactly("$all", "floor3");
    assertThat(x.getJsonArray("bindings").getJsonObject(0).getString("name"))
        .isEqualTo("floor3-own");
    assertThat(x.getJsonArray("bindings")).hasSize(1); // all-alerts is for subscribers
    assertThat(x.getJsonObject("matched"))
        .isEqualTo(
            new JsonObject()
                .put("topicSpaceName", "own")
                .put("template", "devices/${client.authenticationName}/#")
                .put("filter", "devices/dev1/#"));
    JsonArray templates = x.getJsonArray("topicSpaces").getJsonObject(0).getJsonArray("templates");
    assertThat(templates.getJsonObject(1).getJsonArray("instantiated").getList())
        .containsExactly("floors/3");
    assertThat(templates.getJsonObject(1).getJsonArray("granting")).isEmpty();
  }

  @Test
  void explainerDeniesWhatNoTemplateGrantsAndShowsWhatItConsidered() throws Exception {
    JsonObject other =
        explain(
            new JsonObject()
                .put("clientName", "dev1")
                .put("action", "publish")
                .put("topic", "devices/dev2/temp"));
    assertThat(other.getBoolean("allowed")).isFalse();
    assertThat(other.getValue("matched")).isNull();
    assertThat(other.getJsonArray("topicSpaces").getJsonObject(0).getString("name"))
        .isEqualTo("own");

    JsonObject notInGroup =
        explain(
            new JsonObject()
                .put("clientName", "dev2")
                .put("action", "publish")
                .put("topic", "devices/dev2/temp"));
    assertThat(notInGroup.getBoolean("allowed")).isFalse();
    assertThat(notInGroup.getJsonArray("groups").getList()).containsExactly("$all");
    assertThat(notInGroup.getJsonArray("bindings")).isEmpty();
  }

  @Test
  void explainerTakesPastedAttributesAndSubscribeFilters() throws Exception {
    JsonObject x =
        explain(
            new JsonObject()
                .put(
                    "client",
                    new JsonObject()
                        .put("authenticationName", "someone")
                        .put("attributes", new JsonObject().put("floor", 3)))
                .put("action", "subscribe")
                .put("topic", "alerts/+/fire"));
    assertThat(x.getBoolean("allowed")).isTrue();
    assertThat(x.getJsonArray("groups").getList()).containsExactly("$all", "floor3");
    assertThat(x.getJsonObject("matched").getString("topicSpaceName")).isEqualTo("alerts");
    assertThat(x.getJsonObject("identity").getJsonObject("attributes").getLong("floor"))
        .isEqualTo(3L);
  }

  @Test
  void explainerErrorsNameTheirField() throws Exception {
    assertTarget(new JsonObject().put("clientName", "dev1").put("action", "publish"), "topic");
    assertTarget(
        new JsonObject().put("clientName", "nobody").put("action", "publish").put("topic", "a"),
        "clientName");
    assertTarget(
        new JsonObject().put("clientName", "dev1").put("action", "read").put("topic", "a"),
        "action");
    assertTarget(
        new JsonObject()
            .put("client", new JsonObject().put("attributes", new JsonObject().put("bad-key", 1)))
            .put("action", "publish")
            .put("topic", "a"),
        "client.attributes.bad-key");
  }

  private static void assertTarget(JsonObject body, String target) throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.POST, NS + "/explainAccess", body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("target")).isEqualTo(target);
  }

  @Test
  void everyConsoleEndpointNeedsTheAdminToken() throws Exception {
    for (String[] call :
        new String[][] {
          {"GET", NS + "/overview"},
          {"GET", NS + "/overview/rates"},
          {"POST", NS + "/explainAccess"},
          {"POST", NS + "/previewClientGroup"},
          {"GET", NS + "/connections"},
          {"POST", NS + "/connections/x/disconnect"},
          {"GET", NS + "/retainedMessages"},
          {"GET", NS + "/sessions"},
          {"DELETE", NS + "/sessions/x"},
          {"DELETE", NS + "/retainedMessages?topic=a"}
        }) {
      HttpMethod method = HttpMethod.valueOf(call[0]);
      assertThat(call(method, call[1], null, null).statusCode()).as(call[1]).isEqualTo(401);
      assertThat(call(method, call[1], null, "wrong-token").statusCode())
          .as(call[1])
          .isEqualTo(401);
    }
    // the page shell itself is served to anyone: it holds no data
    HttpResponse<Buffer> page = call(HttpMethod.GET, "/console/", null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.bodyAsString()).contains("Sign in");
    assertThat(page.getHeader("Content-Security-Policy")).contains("default-src 'self'");
    assertThat(
            call(HttpMethod.GET, "/console/webjars/uplot/1.6.30/dist/uPlot.esm.js", null, null)
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void overviewShowsTheNodeItsMembersAndTheMetersPrometheusReads() throws Exception {
    JsonObject before = call(HttpMethod.GET, NS + "/overview", null).bodyAsJsonObject();
    assertThat(before.getBoolean("ready")).isTrue();
    assertThat(before.getJsonArray("members")).hasSize(1);
    assertThat(before.getJsonArray("members").getJsonObject(0).getBoolean("reachable")).isTrue();
    assertThat(before.getJsonArray("members").getJsonObject(0).getString("node"))
        .isEqualTo(before.getString("node"));
    assertThat(before.getInteger("websocketPort")).isEqualTo(broker.websocketPort());
    assertThat(before.getJsonArray("members").getJsonObject(0).getLong("uptimeSeconds"))
        .isNotNull();
    assertThat(
            before
                .getJsonArray("members")
                .getJsonObject(0)
                .getJsonObject("splitBrain")
                .getBoolean("protection"))
        .isFalse();
    long inBefore = before.getJsonObject("meters").getLong("messagesIn");

    Mqtt5BlockingClient c = broker.v5("overview-publisher");
    c.connect();
    try {
      c.publishWith().topic("overview/t").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[1]).send();
      JsonObject after = call(HttpMethod.GET, NS + "/overview", null).bodyAsJsonObject();
      assertThat(after.getJsonObject("meters").getLong("messagesIn")).isEqualTo(inBefore + 1);
      assertThat(after.getJsonObject("totals")).isEqualTo(after.getJsonObject("meters"));
      assertThat(after.getJsonObject("meters").getLong("connections")).isGreaterThanOrEqualTo(1);
      assertThat(after.getJsonObject("meters").getLong("sessionsOnline")).isGreaterThanOrEqualTo(1);
    } finally {
      c.disconnect();
    }
  }

  @Test
  void aConnectionFoundBySearchIsDisconnectedWithAdministrativeAction() throws Exception {
    CompletableFuture<Mqtt5DisconnectException> dropped = new CompletableFuture<>();
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("console-search-target")
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .addDisconnectedListener(
                ctx -> {
                  if (ctx.getCause() instanceof Mqtt5DisconnectException e) {
                    dropped.complete(e);
                  }
                })
            .buildBlocking();
    c.connect();
    c.subscribeWith().topicFilter("a/b").send();

    JsonObject found =
        call(HttpMethod.GET, NS + "/connections?search=SEARCH-TARG", null).bodyAsJsonObject();
    assertThat(found.getJsonArray("value")).hasSize(1);
    JsonObject conn = found.getJsonArray("value").getJsonObject(0);
    assertThat(conn.getString("clientId")).isEqualTo("console-search-target");
    assertThat(conn.getString("protocolVersion")).isEqualTo("5");
    assertThat(conn.getInteger("subscriptions")).isEqualTo(1);

    HttpResponse<Buffer> r =
        call(
            HttpMethod.POST,
            NS + "/connections/console-search-target/disconnect",
            new JsonObject());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(dropped.get(10, TimeUnit.SECONDS).getMqttMessage().getReasonCode())
        .isEqualTo(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION);
    Await.until(
        "the connection leaves the node's list",
        java.time.Duration.ofSeconds(10),
        () ->
            call(HttpMethod.GET, NS + "/connections?search=search-targ", null)
                .bodyAsJsonObject()
                .getJsonArray("value")
                .isEmpty());

    HttpResponse<Buffer> gone =
        call(
            HttpMethod.POST,
            NS + "/connections/console-search-target/disconnect",
            new JsonObject());
    assertThat(gone.statusCode()).isEqualTo(404);
  }

  private static JsonObject onlySession(String search) throws Exception {
    HttpResponse<Buffer> r = call(HttpMethod.GET, NS + "/sessions?search=" + search, null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("value")).hasSize(1);
    return r.bodyAsJsonObject().getJsonArray("value").getJsonObject(0);
  }

  private static long sessionsOfNode() throws Exception {
    return call(HttpMethod.GET, NS + "/overview", null)
        .bodyAsJsonObject()
        .getJsonObject("meters")
        .getLong("sessions");
  }

  @Test
  void anOfflineSessionIsFoundWithItsQueueAndDeletedSoTheClientStartsAnew() throws Exception {
    Mqtt5BlockingClient c = broker.v5("console-session-target");
    c.connectWith()
        .cleanStart(true)
        .sessionExpiryInterval(3600)
        .willPublish()
        .topic("wills/console-session-target")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(new byte[3])
        .delayInterval(600)
        .applyWillPublish()
        .send();
    c.subscribeWith().topicFilter("sessions/+").qos(MqttQos.AT_LEAST_ONCE).send();

    JsonObject online = onlySession("SESSION-TARG");
    assertThat(online.getString("clientId")).isEqualTo("console-session-target");
    assertThat(online.getString("state")).isEqualTo("online");
    assertThat(online.getString("node"))
        .isEqualTo(
            call(HttpMethod.GET, NS + "/overview", null).bodyAsJsonObject().getString("node"));
    assertThat(online.getLong("expirySeconds")).isEqualTo(3600L);
    assertThat(online.getJsonArray("subscriptions").getJsonObject(0))
        .isEqualTo(new JsonObject().put("filter", "sessions/+").put("qos", 1));
    assertThat(online.getJsonObject("will").getString("topic"))
        .isEqualTo("wills/console-session-target");
    assertThat(online.getJsonObject("will").getLong("delaySeconds")).isEqualTo(600L);
    assertThat(online.getJsonObject("will").getInteger("payloadSize")).isEqualTo(3);
    HttpResponse<Buffer> refused =
        call(HttpMethod.DELETE, NS + "/sessions/console-session-target", null);
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(409);

    c.disconnect();
    Mqtt5BlockingClient publisher = broker.v5("console-session-publisher");
    publisher.connect();
    try {
      for (int i = 0; i < 2; i++) {
        publisher.publishWith().topic("sessions/a").qos(MqttQos.AT_LEAST_ONCE).send();
      }
    } finally {
      publisher.disconnect();
    }
    Await.until(
        "the offline session holds both messages",
        java.time.Duration.ofSeconds(10),
        () -> onlySession("session-targ").getInteger("queued") == 2);
    JsonObject offline = onlySession("session-targ");
    assertThat(offline.getString("state")).isEqualTo("offline");
    assertThat(offline.getInteger("inFlight")).isZero();
    assertThat(offline.getString("disconnectedAt")).isNotNull();

    long sessionsBefore = sessionsOfNode();
    HttpResponse<Buffer> deleted =
        call(HttpMethod.DELETE, NS + "/sessions/console-session-target", null);
    assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
    // gone from the node that hosted it too, not only from the store
    assertThat(sessionsOfNode()).isEqualTo(sessionsBefore - 1);
    assertThat(
            call(HttpMethod.GET, NS + "/sessions?search=session-targ", null)
                .bodyAsJsonObject()
                .getJsonArray("value"))
        .isEmpty();
    assertThat(call(HttpMethod.DELETE, NS + "/sessions/console-session-target", null).statusCode())
        .isEqualTo(404);

    Mqtt5BlockingClient again = broker.v5("console-session-target");
    try (var inbox = again.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      assertThat(again.connectWith().cleanStart(false).send().isSessionPresent()).isFalse();
      assertThat(inbox.receive(1, TimeUnit.SECONDS)).isEmpty();
    } finally {
      again.disconnect();
    }
  }

  @Test
  void retainedMessagesAreListedWithPayloadAndPropertiesAndDeleted() throws Exception {
    Mqtt5BlockingClient c = broker.v5("retained-publisher");
    c.connect();
    try {
      c.publishWith()
          .topic("console-retained/a")
          .retain(true)
          .qos(MqttQos.AT_LEAST_ONCE)
          .contentType("application/json")
          .userProperties()
          .add("k", "v")
          .applyUserProperties()
          .payload("{\"t\":21}".getBytes(StandardCharsets.UTF_8))
          .send();
      c.publishWith()
          .topic("console-retained/b")
          .retain(true)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(new byte[] {1, 2})
          .send();
    } finally {
      c.disconnect();
    }
    String list =
        NS
            + "/retainedMessages?filter="
            + java.net.URLEncoder.encode("console-retained/#", StandardCharsets.UTF_8);
    JsonObject page = call(HttpMethod.GET, list + "&top=1", null).bodyAsJsonObject();
    assertThat(page.getJsonArray("value")).hasSize(1);
    JsonObject a = page.getJsonArray("value").getJsonObject(0);
    assertThat(a.getString("topic")).isEqualTo("console-retained/a");
    assertThat(new String(a.getBinary("payload"), StandardCharsets.UTF_8)).isEqualTo("{\"t\":21}");
    assertThat(a.getString("contentType")).isEqualTo("application/json");
    assertThat(a.getJsonArray("userProperties").getJsonObject(0))
        .isEqualTo(new JsonObject().put("name", "k").put("value", "v"));
    assertThat(page.getString("continueAfter")).isEqualTo("console-retained/a");
    JsonObject second =
        call(HttpMethod.GET, list + "&top=1&after=console-retained%2Fa", null).bodyAsJsonObject();
    assertThat(second.getJsonArray("value").getJsonObject(0).getString("topic"))
        .isEqualTo("console-retained/b");

    assertThat(
            call(HttpMethod.DELETE, NS + "/retainedMessages?topic=console-retained%2Fa", null)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            call(HttpMethod.DELETE, NS + "/retainedMessages?topic=console-retained%2Fa", null)
                .statusCode())
        .isEqualTo(204);
    JsonObject after = call(HttpMethod.GET, list, null).bodyAsJsonObject();
    assertThat(after.getJsonArray("value")).hasSize(1);
    assertThat(after.getJsonArray("value").getJsonObject(0).getString("topic"))
        .isEqualTo("console-retained/b");

    HttpResponse<Buffer> badFilter =
        call(HttpMethod.GET, NS + "/retainedMessages?filter=a%2F%23%2Fb", null);
    assertThat(badFilter.statusCode()).isEqualTo(400);
    assertThat(badFilter.bodyAsJsonObject().getJsonObject("error").getString("target"))
        .isEqualTo("filter");
    HttpResponse<Buffer> badTopic =
        call(HttpMethod.DELETE, NS + "/retainedMessages?topic=a%2F%2B", null);
    assertThat(badTopic.statusCode()).isEqualTo(400);
    assertThat(badTopic.bodyAsJsonObject().getJsonObject("error").getString("target"))
        .isEqualTo("topic");
  }

  @Test
  void aClientGroupQueryIsCheckedAndItsRegisteredClientsListed() throws Exception {
    HttpResponse<Buffer> ok =
        call(
            HttpMethod.POST,
            NS + "/previewClientGroup",
            new JsonObject().put("query", "attributes.floor IN [3, 4]"));
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
    assertThat(ok.bodyAsJsonObject().getJsonArray("matches").getList())
        .containsExactly("dev1", "dev2");
    assertThat(ok.bodyAsJsonObject().getInteger("total")).isEqualTo(2);

    HttpResponse<Buffer> bad =
        call(
            HttpMethod.POST,
            NS + "/previewClientGroup",
            new JsonObject().put("query", "attributes.floor = "));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getJsonObject("error").getString("target"))
        .isEqualTo("properties.query");
  }

  @Test
  void routingMetersAnswerTheClustersCountsToAnAdminOnly() throws Exception {
    assertThat(call(HttpMethod.GET, NS + "/routingMeters", null, null).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> r = call(HttpMethod.GET, NS + "/routingMeters", null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject meters = r.bodyAsJsonObject();
    assertThat(meters.getInteger("nodes")).isEqualTo(1);
    assertThat(meters.getJsonObject("destinations")).isNotNull();
    assertThat(meters.getJsonObject("deadLettered")).isNotNull();
    assertThat(meters.getJsonObject("dropped")).isNotNull();
    assertThat(meters.getLong("buffered")).isEqualTo(0L);
  }

  @Test
  void bridgesAnswerEachInstanceFromItsNodeToAnAdminOnly() throws Exception {
    assertThat(call(HttpMethod.GET, NS + "/bridges", null, null).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> r = call(HttpMethod.GET, NS + "/bridges", null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject bridges = r.bodyAsJsonObject();
    // no dataflow, so no instance runs anywhere ("runsHere": this node runs at least one)
    assertThat(bridges.getBoolean("runsHere")).isFalse();
    assertThat(bridges.getJsonArray("dataflows")).isEmpty();
    assertThat(bridges.getJsonArray("nodes")).hasSize(1);
    JsonObject member = bridges.getJsonArray("nodes").getJsonObject(0);
    assertThat(member.getBoolean("runsHere")).isFalse();
    assertThat(member.getString("node")).isNotBlank();
  }

  @Test
  void rateStreamSendsTheHistoryOfMessagesPublishedBeforeItOpenedThenPushesPoints()
      throws Exception {
    Mqtt5BlockingClient c = broker.v5("rates-publisher");
    c.connect();
    try {
      for (int i = 0; i < 20; i++) {
        c.publishWith().topic("rates/t").qos(MqttQos.AT_MOST_ONCE).payload(new byte[1]).send();
        c.publishWith().topic("rates/t").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[1]).send();
      }
    } finally {
      c.disconnect();
    }
    // the node samples every 2 s and sends a bucket once every member has sampled it
    Thread.sleep(2500);
    HttpClient http = broker.broker().vertx().createHttpClient();
    try {
      JsonObject history = null;
      BlockingQueue<JsonObject> events = null;
      long deadline = System.currentTimeMillis() + 20_000;
      while (history == null && System.currentTimeMillis() < deadline) {
        long opened = System.currentTimeMillis();
        events = openRateStream(http);
        JsonObject first = events.poll(10, TimeUnit.SECONDS);
        assertThat(first).as("the first event").isNotNull();
        assertThat(first.getString("event")).isEqualTo("history");
        JsonArray points = first.getJsonObject("data").getJsonArray("points");
        double messages = 0;
        for (int i = 0; i < points.size(); i++) {
          if (points.getJsonObject(i).getLong("t") < opened) {
            messages += points.getJsonObject(i).getDouble("in") * 2;
          }
        }
        if (messages >= 20) {
          history = first;
        } else {
          http.close(); // a bucket not yet sampled by the node: open the stream again
          http = broker.broker().vertx().createHttpClient();
          Thread.sleep(1000);
        }
      }
      assertThat(history).as("a history holding the messages published before").isNotNull();
      JsonArray members = history.getJsonObject("data").getJsonArray("members");
      assertThat(members).hasSize(1);
      assertThat(members.getJsonObject(0).getBoolean("reachable")).isTrue();

      JsonObject pushed = events.poll(10, TimeUnit.SECONDS);
      assertThat(pushed).as("a pushed event").isNotNull();
      assertThat(pushed.getString("event")).isEqualTo("rates");
      assertThat(pushed.getJsonObject("data").getJsonArray("members").getJsonObject(0))
          .isEqualTo(members.getJsonObject(0));
      JsonArray newPoints = pushed.getJsonObject("data").getJsonArray("points");
      JsonArray historyPoints = history.getJsonObject("data").getJsonArray("points");
      long lastOfHistory = historyPoints.getJsonObject(historyPoints.size() - 1).getLong("t");
      for (int i = 0; i < newPoints.size(); i++) {
        assertThat(newPoints.getJsonObject(i).getLong("t")).isGreaterThan(lastOfHistory);
      }
    } finally {
      http.close();
    }
  }

  /** Opens {@code GET .../overview/rates}: its events, {@code {event, data}}, come in the queue. */
  private static BlockingQueue<JsonObject> openRateStream(HttpClient http) throws Exception {
    BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    StringBuilder text = new StringBuilder();
    HttpClientResponse response =
        http.request(HttpMethod.GET, broker.managementPort(), "127.0.0.1", NS + "/overview/rates")
            .compose(
                // the handler is set by a listener of send()'s own future, registered before the
                // response comes: one on the composed future may run only after the first chunk
                // was handled, and that chunk (the history) was lost (Vert.x 5 issue 5825)
                request ->
                    request
                        .putHeader("Authorization", "Bearer " + TOKEN)
                        .putHeader("Accept", "text/event-stream")
                        .send()
                        .onSuccess(
                            r ->
                                r.handler(
                                    chunk -> {
                                      text.append(chunk.toString(StandardCharsets.UTF_8));
                                      for (int end; (end = text.indexOf("\n\n")) >= 0; ) {
                                        JsonObject event = new JsonObject();
                                        for (String line : text.substring(0, end).split("\n")) {
                                          if (line.startsWith("event: ")) {
                                            event.put("event", line.substring(7));
                                          } else if (line.startsWith("data: ")) {
                                            event.put("data", new JsonObject(line.substring(6)));
                                          }
                                        }
                                        text.delete(0, end + 2);
                                        events.add(event);
                                      }
                                    })))
            .toCompletionStage()
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("text/event-stream");
    return events;
  }
}
