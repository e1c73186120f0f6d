package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maxBytesPerBatch} (docs/routing.md): batched mode stops a request's batch before it passes
 * the bytes allowed, while still batching; every request carries the webhook's static delivery
 * attribute (a shared-secret header). A slow receiver (one request at a time) lets events pile up.
 */
@WithBroker(
    value = {"routing.max-requests-in-flight=1"},
    configMethod = "routeToTheReceiver")
class BatchBytesIT {

  private static final int MAX_BYTES = 1024;
  private static final int EVENTS = 12;

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;
  static HttpServer receiver;
  static final ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();

  /** The shared-secret header of each request. */
  static final ConcurrentLinkedQueue<String> secrets = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToTheReceiver() throws Exception {
    receivers = new HttpReceivers();
    receiver =
        receivers.listen(
            WebhookReceivers.receiving(
                (req, body) -> {
                  secrets.add(String.valueOf(req.getHeader("X-Routing-Secret")));
                  bodies.add(body.toString());
                  receivers.vertx().setTimer(300, t -> req.response().setStatusCode(200).end());
                }));
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook:
              endpointUrl: "http://127.0.0.1:%d/events"
              maxEventsPerBatch: 100
              maxBytesPerBatch: %d
              deliveryAttributeMappings:
                - name: X-Routing-Secret
                  type: Static
                  properties: { value: s3cret-value, isSecret: true }
        """
            .formatted(receiver.actualPort(), MAX_BYTES),
        StandardCharsets.UTF_8);
    return Map.of("namespace.file", file.toString());
  }

  @AfterAll
  static void stopReceiver() throws Exception {
    Closeables.closeAll(receivers);
  }

  @Test
  void aBatchHoldsNoMoreBytesThanAllowed() {
    Mqtt5BlockingClient c = broker.v5("batch-bytes");
    c.connect();
    try {
      for (int i = 0; i < EVENTS; i++) {
        c.publishWith()
            .topic("devices/batch-bytes/" + i)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(("reading " + i + " " + "x".repeat(60)).getBytes(StandardCharsets.UTF_8))
            .send();
      }
    } finally {
      c.disconnect();
    }
    List<String> subjects = new ArrayList<>();
    int largest = 0;
    while (subjects.size() < EVENTS) {
      Await.until("a batch reaches the receiver", Duration.ofSeconds(20), () -> !bodies.isEmpty());
      String body = bodies.poll();
      assertThat(body.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(MAX_BYTES);
      JsonArray batch = new JsonArray(body);
      largest = Math.max(largest, batch.size());
      for (int i = 0; i < batch.size(); i++) {
        subjects.add(batch.getJsonObject(i).getString("subject"));
      }
    }
    assertThat(subjects).hasSize(EVENTS).doesNotHaveDuplicates();
    assertThat(largest).isGreaterThan(1);
    // every request carries the shared secret (deliveryAttributeMappings)
    assertThat(secrets).isNotEmpty().containsOnly("s3cret-value");
  }
}
