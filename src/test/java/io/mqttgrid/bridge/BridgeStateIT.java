package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridges' state on the management port ({@code GET /bridges}, admin only): per dataflow
 * instance whether it is connected, its last error, what it forwarded, and how many messages its
 * session here holds. A remote that is away shows there, and leaves {@code /health/ready} alone.
 */
class BridgeStateIT {

  private static final String TOKEN = "bridge-state-admin";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  TestBroker cloud;
  TestBroker edge;

  @AfterEach
  void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void anAbsentRemoteShowsInTheBridgesStateNotInReadiness() throws Exception {
    int cloudPort = TestBroker.freePort();
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: 127.0.0.1:%d, clientIdPrefix: edge-}
        dataflows:
          - name: up
            operations:
              - operationType: Source
                sourceSettings: {endpointRef: default, dataSources: ['a/#']}
              - operationType: Destination
                destinationSettings: {endpointRef: cloud}
        """
            .formatted(cloudPort));
    edge =
        TestBroker.start(
            Map.of(
                "bridge.file",
                file.toString(),
                "bridge.reconnect-max-delay",
                "1",
                "management.token",
                TOKEN));

    assertThat(get("/bridges", null).statusCode()).isEqualTo(401);
    JsonObject down = awaitInstance(i -> i.getString("lastError") != null);
    assertThat(down.getBoolean("connected")).isFalse();
    assertThat(down.getString("state")).isIn("backing-off", "connecting");
    assertThat(down.getString("remoteClientId")).isEqualTo("edge-up");
    assertThat(down.getString("localClientId")).isEqualTo("$bridge/up");
    HttpResponse<String> ready = get("/health/ready", null);
    assertThat(ready.statusCode()).isEqualTo(200);
    // the details say so (refreshed every watch interval), without making the node unready
    Await.until(
        "readiness names the dataflow that is not connected",
        Duration.ofSeconds(10),
        () -> readinessBridges().getJsonArray("notConnected", new JsonArray()).contains("up"));
    assertThat(readinessBridges().getInteger("connected")).isZero();

    Mqtt5BlockingClient pub = edge.v5("edge-pub");
    pub.connect();
    for (int i = 0; i < 3; i++) {
      pub.publishWith()
          .topic("a/" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("m".getBytes(StandardCharsets.UTF_8))
          .send();
    }
    pub.disconnect();
    JsonObject queued = awaitInstance(i -> i.getLong("queued") == 3);
    assertThat(queued.getLong("forwarded")).isZero();
    awaitQueuedGauge(3);

    cloud = TestBroker.start(Map.of("mqtt.port", String.valueOf(cloudPort)));
    JsonObject up =
        awaitInstance(
            i ->
                i.getBoolean("connected")
                    && i.getLong("forwarded") == 3
                    && i.getLong("queued") == 0);
    assertThat(up.getString("state")).isEqualTo("connected");
    Await.until(
        "readiness counts the dataflow connected",
        Duration.ofSeconds(10),
        () -> readinessBridges().getInteger("connected", 0) == 1);
    assertThat(readinessBridges().getJsonArray("notConnected")).isEmpty();
    awaitQueuedGauge(0);
    JsonObject body = new JsonObject(get("/bridges", TOKEN).body());
    assertThat(body.getBoolean("runsHere")).isTrue();
    assertThat(body.getString("file")).isEqualTo(file.toString());
    JsonObject flow = body.getJsonArray("dataflows").getJsonObject(0);
    assertThat(flow.getString("name")).isEqualTo("up");
    assertThat(flow.getString("direction")).isEqualTo("local-to-remote");
    assertThat(flow.getString("endpoint")).isEqualTo("cloud");
  }

  @Test
  void withoutABridgeFileThereAreNoDataflows() throws Exception {
    edge = TestBroker.start(Map.of("management.token", TOKEN));
    HttpResponse<String> r = get("/bridges", TOKEN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getJsonArray("dataflows")).isEmpty();
  }

  private JsonObject awaitInstance(Predicate<JsonObject> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = get("/bridges", TOKEN);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonArray flows = new JsonObject(r.body()).getJsonArray("dataflows");
      last = flows.getJsonObject(0).getJsonArray("instances").getJsonObject(0);
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("bridge instance not as expected within 20 s: " + last);
  }

  /** Until the queue-depth gauge of dataflow "up" on /metrics is {@code expected}. */
  private void awaitQueuedGauge(double expected) {
    Await.until(
        "mqttgrid_bridge_queued_messages of up at " + expected,
        Duration.ofSeconds(20),
        () -> {
          try {
            return TestBroker.metricValue(
                    get("/metrics", TOKEN).body(),
                    "mqttgrid_bridge_queued_messages",
                    "dataflow=\"up\"")
                == expected;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** The {@code bridges} details of /health/ready, empty when there are none. */
  private JsonObject readinessBridges() {
    try {
      JsonObject body = new JsonObject(get("/health/ready", null).body());
      return body.getJsonObject("bridges", new JsonObject());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.managementPort() + path))
            .timeout(Duration.ofSeconds(10))
            .GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
