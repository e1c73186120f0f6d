package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single node with the embedded store (an H2 file in a temporary directory), run from the
 * packaged jar so that it can be killed for real: a dataflow endpoint and a dataflow made through
 * the management API just before a kill -9 are back when it starts again on the same directory, and
 * the dataflow forwards again.
 */
class BridgeApiPersistenceClusterIT {

  private static final String TOKEN = "bridge-persistence-admin-token";

  @TempDir Path dir;

  @Test
  void aDataflowMadeThroughTheApiSurvivesAKill9() throws Exception {
    try (TestBroker cloud = TestBroker.start();
        ClusterFixture edge =
            ClusterFixture.start(
                BridgeApiPersistenceClusterIT.class.getSimpleName(),
                1,
                Map.of(
                    "cluster.mode",
                    "local",
                    "persistence.store",
                    "embedded",
                    "persistence.embedded.directory",
                    dir.resolve("data").toString(),
                    "management.token",
                    TOKEN,
                    "namespace.name",
                    "default",
                    "bridge.reconnect-max-delay",
                    "2"))) {
      ClusterFixture.Node n1 = edge.node(1);
      BridgeApiCalls api = new BridgeApiCalls(n1.host(), n1.managementPort(), TOKEN);
      String endpoint = BridgeApiCalls.endpoint(cloud.mqttPort(), "edge-kept-");
      String flow = BridgeApiCalls.dataflow("kept/#", "cloud-kept", "telemetry/${inputTopic.2}");
      assertThat(api.send("PUT", BridgeApiCalls.ENDPOINTS + "cloud-kept", endpoint).statusCode())
          .isEqualTo(201);
      assertThat(api.send("PUT", BridgeApiCalls.DATAFLOWS + "kept-up", flow).statusCode())
          .isEqualTo(201);

      Mqtt5BlockingClient sub = cloud.v5("cloud-kept-sub");
      Inbox<Mqtt5Publish> inbox =
          Inbox.connectAndSubscribe(sub, "telemetry/#", MqttQos.AT_LEAST_ONCE);
      awaitForwarded(edge, api, inbox, "before");

      edge.kill(1);
      edge.restart(1);
      edge.awaitReady(1, Duration.ofSeconds(60));

      assertProperties(api.send("GET", BridgeApiCalls.ENDPOINTS + "cloud-kept", null), endpoint);
      assertProperties(api.send("GET", BridgeApiCalls.DATAFLOWS + "kept-up", null), flow);
      awaitForwarded(edge, api, inbox, "after");
      // the restarted node's start line counts the dataflow it read back from the store
      assertThat(java.nio.file.Files.readString(n1.log()))
          .contains(
              "bridge: 1 dataflows to 1 remote endpoints configured (1 dataflows and 1 endpoints"
                  + " of them made through the management API)");
      sub.disconnect();
    }
  }

  /** The resource as it was put, marked as the API's. */
  private static void assertProperties(HttpResponse<String> got, String put) {
    assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
    JsonObject body = new JsonObject(got.body());
    assertThat(body.getString("origin")).isEqualTo("api");
    assertThat(body.getJsonObject("properties"))
        .isEqualTo(new JsonObject(put).getJsonObject("properties"));
  }

  /** A message published at the edge on kept/{@code line} reaches the cloud as telemetry/... */
  private static void awaitForwarded(
      ClusterFixture edge, BridgeApiCalls api, Inbox<Mqtt5Publish> inbox, String line)
      throws Exception {
    Await.until("kept-up connected", Duration.ofSeconds(30), () -> api.connected("kept-up"));
    Mqtt5BlockingClient pub = edge.v5(1, "edge-kept-pub");
    pub.connect();
    pub.publishWith()
        .topic("kept/" + line)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(line.getBytes(StandardCharsets.UTF_8))
        .send();
    pub.disconnect();
    // at least once: the message before the kill may come again if its PUBACK from the cloud was
    // not yet stored in the bridge's local session; nothing else may come
    Mqtt5Publish got = inbox.next();
    while (!got.getTopic().toString().equals("telemetry/" + line)) {
      assertThat(got.getTopic().toString()).as("a repeat").isEqualTo("telemetry/before");
      got = inbox.next();
    }
    assertThat(Inbox.text(got)).isEqualTo(line);
  }
}
