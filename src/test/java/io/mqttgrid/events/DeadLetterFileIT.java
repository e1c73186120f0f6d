package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's dead-letter file ({@code routing.dead-letter-file}, docs/routing.md): with no
 * deadLetterDestination in the namespace, undeliverable events become JSON lines there; a burst
 * past the buffer is dead-lettered or dropped, every event counted. The webhook is a port nobody
 * listens on.
 */
@WithBroker(
    value = {
      "routing.retry-delays-ms=100",
      "routing.timeout-ms=2000",
      "routing.max-delivery-attempts=1",
      "routing.buffer-events=2",
      "routing.max-requests-in-flight=1",
      // a webhook nobody listens on would never pass the handshake, and its events would wait in
      // it rather than fail their deliveries: this test is about what failed deliveries become
      "routing.validate-webhooks=false"
    },
    configMethod = "routeNowhere")
class DeadLetterFileIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path dir;
  static TestBroker broker;
  static Path deadLetterFile;

  static Map<String, String> routeNowhere() throws Exception {
    deadLetterFile = dir.resolve("dead-letters.jsonl");
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
        """
            .formatted(TestBroker.freePort()),
        StandardCharsets.UTF_8);
    return Map.of(
        "namespace.file",
        file.toString(),
        "namespace.name",
        "testnamespace",
        "routing.dead-letter-file",
        deadLetterFile.toString());
  }

  @Test
  void anUndeliverableEventBecomesAJsonLineOfTheFileAndEveryEventOfABurstIsCounted()
      throws Exception {
    Mqtt5BlockingClient c = broker.v5("dead-letter-file");
    c.connect();
    try {
      c.publishWith()
          .topic("devices/d1/first")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("one".getBytes(StandardCharsets.UTF_8))
          .send();
      Await.until("a line in the dead-letter file", WAIT, () -> lines().size() == 1);
      JsonObject dead = new JsonObject(lines().get(0));
      assertThat(dead.getString("type")).isEqualTo("MQTTGrid.EventDeadLettered");
      assertThat(dead.getString("subject")).isEqualTo("routeDestination");
      JsonObject data = dead.getJsonObject("data");
      assertThat(data.getString("deadLetterReason")).isEqualTo("MaxDeliveryAttemptExceeded");
      assertThat(data.getInteger("deliveryAttempts")).isEqualTo(1);
      assertThat(data.getJsonObject("event").getString("subject")).isEqualTo("devices/d1/first");
      assertThat(data.getJsonObject("event").getString("data_base64")).isEqualTo("b25l");

      int burst = 200;
      for (int i = 0; i < burst; i++) {
        c.publishWith()
            .topic("devices/d1/burst")
            .qos(MqttQos.AT_MOST_ONCE)
            .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
            .send();
      }
      // each event is dead-lettered (a line) or dropped, and counted either way
      Await.until(
          "every event of the burst is accounted for",
          WAIT,
          () ->
              sum("mqttgrid_routing_dead_lettered_events_total")
                      + sum("mqttgrid_routing_dropped_events_total")
                  == burst + 1);
      Await.until(
          "the routing buffers are empty",
          WAIT,
          () -> sum("mqttgrid_routing_buffered_events") == 0);
      assertThat(lines()).hasSize((int) sum("mqttgrid_routing_dead_lettered_events_total"));
    } finally {
      c.disconnect();
    }
  }

  private static List<String> lines() throws Exception {
    return Files.exists(deadLetterFile)
        ? Files.readAllLines(deadLetterFile, StandardCharsets.UTF_8)
        : List.of();
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  /** The sum over every label set of {@code name}. */
  private static double sum(String name) throws Exception {
    Matcher m = SAMPLE.matcher(broker.scrapeMetrics());
    double total = 0;
    while (m.find()) {
      if (m.group(1).equals(name)) {
        total += Double.parseDouble(m.group(3));
      }
    }
    return total;
  }
}
