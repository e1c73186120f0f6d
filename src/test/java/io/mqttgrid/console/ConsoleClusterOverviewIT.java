package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.LoopbackHazelcast;
import io.mqttgrid.testing.TestBroker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overview of one node shows every member's figures, asked for over the event bus, and their
 * totals; its connections page finds and disconnects clients of any node: two nodes in one JVM
 * joined over TCP on loopback (as CrossNodeRoutingIT).
 */
class ConsoleClusterOverviewIT {

  private static final String TOKEN = "console-cluster-admin-token-0123456789";

  @TempDir static Path dir;
  static TestBroker a;
  static TestBroker b;
  static WebClient web;

  @BeforeAll
  static void start() throws Exception {
    int portA = TestBroker.freePort();
    int portB = TestBroker.freePort();
    String cluster = "console-" + System.nanoTime();
    a =
        TestBroker.start(
            node(
                "console-a",
                LoopbackHazelcast.configFile(dir, "a.xml", cluster, portA, portA, portB)));
    b =
        TestBroker.start(
            node(
                "console-b",
                LoopbackHazelcast.configFile(dir, "b.xml", cluster, portB, portA, portB)));
    Await.until(
        "two members",
        Duration.ofSeconds(30),
        () -> a.broker().hazelcast().getCluster().getMembers().size() == 2);
    web = WebClient.create(a.broker().vertx());
    // b's console answers on the clustered event bus once its consumer's registration reached a,
    // a moment after the members see each other: until then a's pages show b unreachable
    Await.until(
        "b answers a's console",
        Duration.ofSeconds(30),
        () -> {
          JsonArray members = overview().getJsonArray("members");
          for (int i = 0; i < members.size(); i++) {
            if (!members.getJsonObject(i).getBoolean("reachable", false)) {
              return false;
            }
          }
          return members.size() == 2;
        });
  }

  private static Map<String, String> node(String id, Path hazelcast) {
    return Map.of(
        "node.id",
        id,
        "cluster.mode",
        "file",
        "cluster.config-file",
        hazelcast.toString(),
        "management.token",
        TOKEN);
  }

  @AfterAll
  static void stop() {
    if (web != null) {
      web.close();
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  private static JsonObject overview() throws Exception {
    return callA(HttpMethod.GET, "/namespaces/mqttgrid/overview");
  }

  private static JsonObject callA(HttpMethod method, String path) throws Exception {
    HttpResponse<Buffer> r =
        web.request(method, a.managementPort(), "127.0.0.1", path)
            .bearerTokenAuthentication(TOKEN)
            .send()
            .toCompletionStage()
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  @Test
  void aClientOnTheOtherNodeIsFoundAndDisconnectedThroughThisNode() throws Exception {
    CompletableFuture<Mqtt5DisconnectException> dropped = new CompletableFuture<>();
    Mqtt5BlockingClient onB =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("console-cluster-target")
            .serverHost("127.0.0.1")
            .serverPort(b.mqttPort())
            .addDisconnectedListener(
                ctx -> {
                  if (ctx.getCause() instanceof Mqtt5DisconnectException e) {
                    dropped.complete(e);
                  }
                })
            .buildBlocking();
    onB.connect();
    // b lists a connection once its CONNACK is written: on a loaded machine the client can read
    // the CONNACK and ask a before b's event loop gets that far
    JsonObject[] found = new JsonObject[1];
    Await.until(
        "the connection on b listed through a",
        Duration.ofSeconds(10),
        () -> {
          found[0] =
              callA(HttpMethod.GET, "/namespaces/mqttgrid/connections?search=cluster-target");
          return !found[0].getJsonArray("value").isEmpty();
        });
    assertThat(found[0].getJsonArray("value")).hasSize(1);
    assertThat(found[0].getJsonArray("value").getJsonObject(0).getString("node"))
        .isEqualTo("console-b");
    JsonObject done =
        callA(
            HttpMethod.POST, "/namespaces/mqttgrid/connections/console-cluster-target/disconnect");
    assertThat(done.getInteger("disconnected")).isEqualTo(1);
    assertThat(dropped.get(10, TimeUnit.SECONDS).getMqttMessage().getReasonCode())
        .isEqualTo(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION);
  }

  @Test
  void anOfflineSessionOfTheOtherNodeIsDeletedThereThroughThisNode() throws Exception {
    Mqtt5BlockingClient onB = b.v5("console-cluster-sleeper");
    onB.connectWith().sessionExpiryInterval(3600).send();
    onB.subscribeWith().topicFilter("sleeper/in").send();
    onB.disconnect();
    JsonObject found =
        callA(HttpMethod.GET, "/namespaces/mqttgrid/sessions?search=cluster-sleeper");
    assertThat(found.getJsonArray("value")).hasSize(1);
    assertThat(found.getJsonArray("value").getJsonObject(0).getString("node"))
        .isEqualTo("console-b");
    long sessionsOnB = member(overview(), "console-b").getJsonObject("meters").getLong("sessions");
    HttpResponse<Buffer> r =
        web.request(
                HttpMethod.DELETE,
                a.managementPort(),
                "127.0.0.1",
                "/namespaces/mqttgrid/sessions/console-cluster-sleeper")
            .bearerTokenAuthentication(TOKEN)
            .send()
            .toCompletionStage()
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    // the node that hosted it let it go, not only the store
    assertThat(member(overview(), "console-b").getJsonObject("meters").getLong("sessions"))
        .isEqualTo(sessionsOnB - 1);
    Mqtt5BlockingClient again = b.v5("console-cluster-sleeper");
    try {
      assertThat(again.connectWith().cleanStart(false).send().isSessionPresent()).isFalse();
    } finally {
      again.disconnect();
    }
  }

  private static JsonObject call(TestBroker node, HttpMethod method, String path, JsonObject body)
      throws Exception {
    var request =
        web.request(method, node.managementPort(), "127.0.0.1", path)
            .bearerTokenAuthentication(TOKEN);
    HttpResponse<Buffer> r =
        (body == null ? request.send() : request.sendJsonObject(body))
            .toCompletionStage()
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    assertThat(r.statusCode()).as(r.bodyAsString()).isBetween(200, 201);
    return r.bodyAsJsonObject();
  }

  /** The one instance of {@code dataflow} in a bridges answer. */
  private static JsonObject instance(JsonObject bridges, String dataflow) {
    for (int i = 0; i < bridges.getJsonArray("dataflows").size(); i++) {
      JsonObject d = bridges.getJsonArray("dataflows").getJsonObject(i);
      if (d.getString("name").equals(dataflow)) {
        return d.getJsonArray("instances").getJsonObject(0);
      }
    }
    return null;
  }

  @Test
  void eachNodesConsoleShowsABridgeInstanceAsTheNodeThatRunsItReportsIt() throws Exception {
    try (TestBroker remote = TestBroker.start()) {
      String instance = "/instances/mqttgrid";
      call(
          b,
          HttpMethod.PUT,
          instance + "/dataflowEndpoints/console-remote",
          new JsonObject(
              "{\"properties\": {\"mqttSettings\": {\"host\": \"127.0.0.1:"
                  + remote.mqttPort()
                  + "\"}}}"));
      call(
          b,
          HttpMethod.PUT,
          instance + "/dataflowProfiles/default/dataflows/console-up",
          new JsonObject(
              "{\"properties\": {\"operations\": ["
                  + "{\"operationType\": \"Source\", \"sourceSettings\": {\"dataSources\":"
                  + " [\"console-up/#\"]}},"
                  + "{\"operationType\": \"Destination\", \"destinationSettings\":"
                  + " {\"endpointRef\": \"console-remote\"}}]}}"));
      // once, a full run waited longer than this (6 runs by hand at load 15-20 took 0.2-1.3 s):
      // what the console last showed goes into the failure, to tell a bridge that kept failing
      // to connect from a console that did not show it
      java.util.concurrent.atomic.AtomicReference<JsonObject> lastSeen =
          new java.util.concurrent.atomic.AtomicReference<>();
      try {
        Await.until(
            "the dataflow connected",
            Duration.ofSeconds(30),
            () -> {
              JsonObject bridges = call(a, HttpMethod.GET, "/namespaces/mqttgrid/bridges", null);
              lastSeen.set(bridges);
              JsonObject i = instance(bridges, "console-up");
              return i != null && "connected".equals(i.getString("state"));
            });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; node a's console last showed " + lastSeen, e);
      }
      Mqtt5BlockingClient reader = remote.v5("console-up-reader");
      reader.connect();
      try (var inbox = reader.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
        reader.subscribeWith().topicFilter("console-up/#").send();
        Mqtt5BlockingClient writer = a.v5("console-up-writer");
        writer.connect();
        writer
            .publishWith()
            .topic("console-up/x")
            .qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
            .send();
        writer.disconnect();
        assertThat(inbox.receive(10, TimeUnit.SECONDS)).isPresent();
      } finally {
        reader.disconnect();
      }
      // whichever node runs it, both consoles show it as that node does: connected, 1 forwarded
      for (TestBroker node : java.util.List.of(a, b)) {
        Await.until(
            "the forwarded message counted",
            Duration.ofSeconds(10),
            () -> {
              JsonObject i =
                  instance(
                      call(node, HttpMethod.GET, "/namespaces/mqttgrid/bridges", null),
                      "console-up");
              return i.getLong("forwarded") == 1L;
            });
        JsonObject bridges = call(node, HttpMethod.GET, "/namespaces/mqttgrid/bridges", null);
        JsonObject shown = instance(bridges, "console-up");
        assertThat(shown.getString("state")).isEqualTo("connected");
        assertThat(shown.getString("node")).isIn("console-a", "console-b");
        assertThat(bridges.getJsonArray("nodes")).hasSize(2);
      }
      call(b, HttpMethod.DELETE, instance + "/dataflowProfiles/default/dataflows/console-up", null);
      call(b, HttpMethod.DELETE, instance + "/dataflowEndpoints/console-remote", null);
    }
  }

  private static JsonObject member(JsonObject overview, String node) {
    for (Object m : overview.getJsonArray("members")) {
      if (node.equals(((JsonObject) m).getString("node"))) {
        return (JsonObject) m;
      }
    }
    throw new AssertionError("no member " + node + " in " + overview.encode());
  }

  @Test
  void oneNodesOverviewShowsTheOtherNodesFiguresAndTheTotals() throws Exception {
    Mqtt5BlockingClient onB = b.v5("console-cluster-client");
    onB.connect();
    try {
      onB.subscribeWith().topicFilter("x/y").send();
      JsonObject o = overview();
      assertThat(o.getString("node")).isEqualTo("console-a");
      JsonObject nodeB = member(o, "console-b");
      assertThat(nodeB.getBoolean("local")).isFalse();
      assertThat(nodeB.getBoolean("reachable")).isTrue();
      assertThat(nodeB.getJsonObject("meters").getLong("connections")).isEqualTo(1L);
      assertThat(nodeB.getJsonObject("meters").getLong("subscriptionsOfConnectedClients"))
          .isEqualTo(1L);
      JsonObject nodeA = member(o, "console-a");
      assertThat(nodeA.getBoolean("local")).isTrue();
      assertThat(nodeA.getJsonObject("meters").getLong("connections")).isZero();
      assertThat(o.getJsonObject("totals").getLong("connections")).isEqualTo(1L);
      assertThat(o.getJsonObject("totals").getLong("sessionsOnline")).isEqualTo(1L);
      // each member's own uptime and split-brain state, the other's asked over the event bus
      for (JsonObject m : new JsonObject[] {nodeA, nodeB}) {
        assertThat(m.getLong("uptimeSeconds")).isNotNull().isNotNegative();
        assertThat(m.getJsonObject("splitBrain"))
            .isEqualTo(
                new JsonObject()
                    .put("protection", false)
                    .put("minimumMembers", 2)
                    .put("hasMinimumMembers", true));
      }
      assertThat(o.getJsonObject("totals").containsKey("uptimeSeconds")).isFalse();
    } finally {
      onB.disconnect();
    }
  }
}
