package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dataflow endpoints and dataflows made through the management API, beside those of the bridge
 * file: applied at once without a restart, checked with the file's before they are stored (a
 * mistake names the field), and the file's own resources left to the file.
 */
class BridgeApiIT {

  private static final String TOKEN = "edge-admin";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ARM =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.IoTOperations/instances/default";

  @TempDir static Path dir;

  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start();
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: { host: "127.0.0.1:%d", clientIdPrefix: edge- }
        dataflows:
          - name: from-file
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: [file/up] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud, dataDestination: telemetry/file }
        """
            .formatted(cloud.mqttPort()));
    edge =
        TestBroker.start(
            Map.of(
                "bridge.file",
                file.toString(),
                "management.token",
                TOKEN,
                "namespace.name",
                "default"));
    BridgeAwait.connected(edge, "from-file");
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void aDataflowPutThroughTheApiRunsAndADeletedOneStops() throws Exception {
    HttpResponse<String> endpoint =
        send(
            "PUT",
            ARM + "/dataflowEndpoints/cloud-api",
            """
            {"properties": {"endpointType": "Mqtt",
              "mqttSettings": {"host": "127.0.0.1:%d", "clientIdPrefix": "edge-api-"}}}
            """
                .formatted(cloud.mqttPort()));
    assertThat(endpoint.statusCode()).as(endpoint.body()).isEqualTo(201);
    HttpResponse<String> flow =
        send(
            "PUT",
            "/instances/default/dataflowProfiles/default/dataflows/api-up",
            """
            {"properties": {"operations": [
              {"operationType": "Source", "sourceSettings": {"endpointRef": "default", "dataSources": ["api/#"]}},
              {"operationType": "Destination",
               "destinationSettings": {"endpointRef": "cloud-api", "dataDestination": "telemetry/${inputTopic.2}"}}]}}
            """);
    assertThat(flow.statusCode()).as(flow.body()).isEqualTo(201);
    assertThat(new JsonObject(flow.body()).getString("type"))
        .isEqualTo("Microsoft.IoTOperations/instances/dataflowProfiles/dataflows");
    BridgeAwait.connected(edge, "api-up");

    Mqtt5BlockingClient sub = cloud.v5("cloud-api-sub");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "telemetry/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient pub = edge.v5("edge-api-pub");
    pub.connect();
    pub.publishWith()
        .topic("api/line-1")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("made by the api".getBytes(StandardCharsets.UTF_8))
        .send();
    Mqtt5Publish got = inbox.next();
    assertThat(got.getTopic().toString()).isEqualTo("telemetry/line-1");
    assertThat(Inbox.text(got)).isEqualTo("made by the api");

    JsonArray endpoints =
        new JsonObject(send("GET", ARM + "/dataflowEndpoints", null).body()).getJsonArray("value");
    assertThat(
            endpoints.stream()
                .map(
                    e ->
                        ((JsonObject) e).getString("name")
                            + "/"
                            + ((JsonObject) e).getString("origin")))
        .containsExactly("cloud/file", "cloud-api/api");

    HttpResponse<String> inUse = send("DELETE", ARM + "/dataflowEndpoints/cloud-api", null);
    assertThat(inUse.statusCode()).isEqualTo(409);
    assertThat(inUse.body()).contains("no dataflow endpoint named 'cloud-api'");

    assertThat(
            send("DELETE", "/instances/default/dataflowProfiles/default/dataflows/api-up", null)
                .statusCode())
        .isEqualTo(200);
    Await.until(
        "api-up stopped and gone from GET /bridges",
        Duration.ofSeconds(10),
        () -> !send("GET", "/bridges", null).body().contains("\"api-up\""));
    assertThat(send("DELETE", ARM + "/dataflowEndpoints/cloud-api", null).statusCode())
        .isEqualTo(200);
    assertThat(send("DELETE", ARM + "/dataflowEndpoints/cloud-api", null).statusCode())
        .as("nothing left to delete")
        .isEqualTo(204);
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void aMistakeIsRefusedWithTheFieldAndTheFilesResourcesStayTheFiles() throws Exception {
    HttpResponse<String> wildcard =
        send(
            "PUT",
            ARM + "/dataflowProfiles/default/dataflows/bad",
            """
            {"properties": {"operations": [
              {"operationType": "Source", "sourceSettings": {"endpointRef": "default", "dataSources": ["a"]}},
              {"operationType": "Destination",
               "destinationSettings": {"endpointRef": "cloud", "dataDestination": "b/#"}}]}}
            """);
    assertThat(wildcard.statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(wildcard.body()).getJsonObject("error");
    assertThat(error.getString("target"))
        .isEqualTo("properties.operations[1].destinationSettings.dataDestination");
    assertThat(error.getString("message")).contains("holds a wildcard");

    HttpResponse<String> unknown =
        send(
            "PUT",
            ARM + "/dataflowEndpoints/typo",
            "{\"properties\": {\"mqttSettings\": {\"host\": \"h:1\", \"qoss\": 1}}}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("target"))
        .isEqualTo("properties.mqttSettings.qoss");

    HttpResponse<String> noEndpoint =
        send(
            "PUT",
            ARM + "/dataflowProfiles/default/dataflows/nowhere",
            """
            {"properties": {"operations": [
              {"operationType": "Source", "sourceSettings": {"dataSources": ["a"]}},
              {"operationType": "Destination", "destinationSettings": {"endpointRef": "absent"}}]}}
            """);
    assertThat(noEndpoint.statusCode()).isEqualTo(400);
    assertThat(noEndpoint.body()).contains("no dataflow endpoint named 'absent'");

    assertThat(
            send(
                    "PUT",
                    ARM + "/dataflowEndpoints/cloud",
                    "{\"properties\": {\"mqttSettings\": {\"host\": \"h:1\"}}}")
                .statusCode())
        .as("the file's endpoint")
        .isEqualTo(409);
    assertThat(
            send("DELETE", ARM + "/dataflowProfiles/default/dataflows/from-file", null)
                .statusCode())
        .isEqualTo(409);
    assertThat(send("GET", ARM + "/dataflowProfiles/other/dataflows", null).statusCode())
        .isEqualTo(404);
    assertThat(send("GET", ARM + "/dataflowEndpoints/bad", null).statusCode()).isEqualTo(404);
    assertThat(
            HTTP.send(
                    HttpRequest.newBuilder(uri(ARM + "/dataflowEndpoints")).GET().build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .as("the admin credential is required")
        .isEqualTo(401);
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.managementPort() + path);
  }

  private static HttpResponse<String> send(String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
