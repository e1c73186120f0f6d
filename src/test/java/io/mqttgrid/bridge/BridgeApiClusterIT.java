package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A two-node edge cluster without a bridge file, and a "cloud" broker in this JVM: a dataflow
 * endpoint and a dataflow put through node 1's management API are shown by node 2's, the dataflow
 * runs (on the oldest node) and forwards what is published on either node; deleted through node 2's
 * API, it is gone from node 1's and stops.
 */
class BridgeApiClusterIT {

  private static final String TOKEN = "bridge-cluster-admin-token";

  @Test
  void aChangeThroughOneNodesApiReachesTheOther() throws Exception {
    try (TestBroker cloud = TestBroker.start();
        ClusterFixture edge =
            ClusterFixture.start(
                BridgeApiClusterIT.class.getSimpleName(),
                2,
                Map.of(
                    "management.token",
                    TOKEN,
                    "namespace.name",
                    "default",
                    "bridge.reconnect-max-delay",
                    "2"))) {
      BridgeApiCalls n1 =
          new BridgeApiCalls(edge.node(1).host(), edge.node(1).managementPort(), TOKEN);
      BridgeApiCalls n2 =
          new BridgeApiCalls(edge.node(2).host(), edge.node(2).managementPort(), TOKEN);
      String endpoint = BridgeApiCalls.endpoint(cloud.mqttPort(), "edge-shared-");
      String flow =
          BridgeApiCalls.dataflow("shared/#", "cloud-shared", "telemetry/${inputTopic.2}");
      assertThat(n1.send("PUT", BridgeApiCalls.ENDPOINTS + "cloud-shared", endpoint).statusCode())
          .isEqualTo(201);
      assertThat(n1.send("PUT", BridgeApiCalls.DATAFLOWS + "shared-up", flow).statusCode())
          .isEqualTo(201);

      // node 2 learns of the change through the cluster's map, shortly after node 1 answered
      Await.until(
          "node 2 shows the dataflow",
          Duration.ofSeconds(10),
          () -> n2.send("GET", BridgeApiCalls.DATAFLOWS + "shared-up", null).statusCode() == 200);
      JsonObject shown =
          new JsonObject(n2.send("GET", BridgeApiCalls.ENDPOINTS + "cloud-shared", null).body());
      assertThat(shown.getString("origin")).isEqualTo("api");
      assertThat(shown.getJsonObject("properties"))
          .isEqualTo(new JsonObject(endpoint).getJsonObject("properties"));

      Await.until(
          "shared-up connected on a node",
          Duration.ofSeconds(30),
          () -> n1.connected("shared-up") || n2.connected("shared-up"));
      Mqtt5BlockingClient sub = cloud.v5("cloud-shared-sub");
      Inbox<Mqtt5Publish> inbox =
          Inbox.connectAndSubscribe(sub, "telemetry/#", MqttQos.AT_LEAST_ONCE);
      for (int node = 1; node <= 2; node++) {
        publish(edge, node, "shared/from-n" + node);
        Mqtt5Publish got = inbox.next();
        assertThat(got.getTopic().toString()).isEqualTo("telemetry/from-n" + node);
      }

      assertThat(n2.send("DELETE", BridgeApiCalls.DATAFLOWS + "shared-up", null).statusCode())
          .isEqualTo(200);
      Await.until(
          "shared-up gone from node 1's API and from /bridges of both nodes",
          Duration.ofSeconds(10),
          () ->
              n1.send("GET", BridgeApiCalls.DATAFLOWS + "shared-up", null).statusCode() == 404
                  && !n1.send("GET", "/bridges", null).body().contains("\"shared-up\"")
                  && !n2.send("GET", "/bridges", null).body().contains("\"shared-up\""));
      assertThat(n2.send("DELETE", BridgeApiCalls.ENDPOINTS + "cloud-shared", null).statusCode())
          .isEqualTo(200);
      publish(edge, 1, "shared/after-delete");
      publish(edge, 2, "shared/after-delete");
      // an absence: bounded, what a running dataflow forwards in well under a second
      Thread.sleep(TimeUnit.SECONDS.toMillis(2));
      assertThat(inbox.isEmpty()).as("nothing forwarded after the delete").isTrue();
      sub.disconnect();
    }
  }

  private static void publish(ClusterFixture edge, int node, String topic) {
    Mqtt5BlockingClient pub = edge.v5(node, "edge-shared-pub-" + node);
    pub.connect();
    try {
      pub.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(topic.getBytes(StandardCharsets.UTF_8))
          .send();
    } catch (RuntimeException e) {
      // a full run once saw the node end this publisher's connection with a DISCONNECT whose
      // reason nobody could read afterwards: say it
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof Mqtt5DisconnectException d) {
          throw new AssertionError(
              "node "
                  + node
                  + " sent DISCONNECT "
                  + d.getMqttMessage().getReasonCode()
                  + " "
                  + d.getMqttMessage().getReasonString().map(Object::toString).orElse("")
                  + " while edge-shared-pub-"
                  + node
                  + " published to "
                  + topic,
              e);
        }
      }
      throw e;
    }
    pub.disconnect();
  }
}
