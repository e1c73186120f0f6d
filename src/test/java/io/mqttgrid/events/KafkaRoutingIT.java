package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.KafkaBroker;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing to Apache Kafka (docs/routing.md) against a real Kafka broker ({@link KafkaBroker}, a
 * KRaft node in a JVM of its own, one for the class) and the broker's real wiring: the route
 * destination writes binary mode keyed by MQTT topic, an event subscription structured mode keyed
 * by client id; a consumer reads the records back with the CloudEvents Kafka binding.
 */
@WithBroker(
    value = {"routing.retry-delays-ms=500", "routing.timeout-ms=2000"},
    configMethod = "routeToKafka")
class KafkaRoutingIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  static KafkaBroker kafka;
  static TestBroker broker;

  /** A webhook that refuses every event (400): its events go to the dead-letter topic. */
  static Vertx refusingVertx;

  static Map<String, String> routeToKafka() throws Exception {
    kafka = KafkaBroker.start(dir.resolve("kafka"));
    refusingVertx = Vertx.vertx();
    HttpServer refusing =
        refusingVertx
            .createHttpServer()
            .requestHandler(
                WebhookReceivers.answeringHandshake(
                    req -> req.body().onComplete(b -> req.response().setStatusCode(400).end())))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            kafka: { bootstrapServers: "%1$s", topic: telemetry }
          deadLetterDestination:
            kafka: { bootstrapServers: "%1$s", topic: dead-letters, contentMode: Structured }
          eventSubscriptions:
            - name: refusing
              filter: { subjectBeginsWith: refused/ }
              destination: { webhook: { endpointUrl: "http://127.0.0.1:%2$d/events" } }
            - name: by-client
              filter: { subjectBeginsWith: devices/ }
              destination:
                kafka:
                  bootstrapServers: "%1$s"
                  topic: by-client
                  key: ClientId
                  contentMode: Structured
                  producerSettings: { compression.type: gzip }
            - name: sized
              filter: { subjectBeginsWith: sized/ }
              destination:
                kafka:
                  bootstrapServers: "%1$s"
                  topic: sized
                  producerSettings: { max.request.size: "4000", batch.size: "2000" }
        """
            .formatted(kafka.bootstrapServers(), refusing.actualPort()),
        StandardCharsets.UTF_8);
    return Map.of("namespace.file", file.toString(), "namespace.name", "testnamespace");
  }

  @AfterAll
  static void stopKafka() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
    if (refusingVertx != null) {
      refusingVertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anEventTheWebhookRefusesGoesToTheDeadLetterTopic() {
    publish("sensor-4", "refused/sensor-4", "{\"temp\":1}");

    ConsumerRecord<String, byte[]> r = awaitRecord("dead-letters", "eventSubscriptions/refusing");
    JsonObject dead = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
    assertThat(dead.getString("type")).isEqualTo("MQTTGrid.EventDeadLettered");
    JsonObject data = dead.getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("DeliveryRefused");
    assertThat(data.getString("lastDeliveryOutcome")).isEqualTo("HTTP 400");
    assertThat(data.getJsonObject("event").getString("subject")).isEqualTo("refused/sensor-4");
  }

  @Test
  void aPublishedMessageArrivesInTheTopicAsACloudEventKeyedByItsMqttTopic() {
    publish("sensor-1", "devices/sensor-1/telemetry", "{\"temp\":21.5}");

    ConsumerRecord<String, byte[]> r = awaitRecord("telemetry", "devices/sensor-1/telemetry");
    assertThat(r.key()).isEqualTo("devices/sensor-1/telemetry");
    // binary mode: the attributes are ce_ headers, the value is the data
    assertThat(header(r, "ce_specversion")).isEqualTo("1.0");
    assertThat(header(r, "ce_type")).isEqualTo("MQTT.EventPublished");
    assertThat(header(r, "content-type")).isEqualTo("application/json");
    assertThat(new JsonObject(new String(r.value(), StandardCharsets.UTF_8)))
        .isEqualTo(new JsonObject().put("temp", 21.5));
    CloudEvent e = KafkaMessageFactory.createReader(r).toEvent();
    assertThat(e.getSource().toString()).isEqualTo("testnamespace");
    assertThat(e.getSubject()).isEqualTo("devices/sensor-1/telemetry");
    assertThat(e.getDataContentType()).isEqualTo("application/json");
  }

  @Test
  void anEventSubscriptionWritesStructuredModeKeyedByClientId() {
    publish("sensor-2", "devices/sensor-2/telemetry", "{\"temp\":7}");

    ConsumerRecord<String, byte[]> r = awaitRecord("by-client", "devices/sensor-2/telemetry");
    assertThat(r.key()).isEqualTo("sensor-2");
    assertThat(header(r, "content-type")).isEqualTo("application/cloudevents+json");
    JsonObject event = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
    assertThat(event.getString("specversion")).isEqualTo("1.0");
    assertThat(event.getString("type")).isEqualTo("MQTT.EventPublished");
    assertThat(event.getString("subject")).isEqualTo("devices/sensor-2/telemetry");
    assertThat(event.getJsonObject("data")).isEqualTo(new JsonObject().put("temp", 7));
  }

  @Test
  void aRecordKafkaRefusesIsDeadLetteredAloneAndTheRestOfItsBatchIsDelivered() throws Exception {
    // one burst, so that the events go to Kafka in a few batches, the large one among others
    int small = 40;
    Mqtt5BlockingClient c = broker.v5("sensor-5");
    c.connect();
    try {
      for (int i = 0; i < small; i++) {
        if (i == small / 2) {
          // above the destination's max.request.size: Kafka's producer refuses this record only
          c.publishWith().topic("sized/large").payload(new byte[6000]).send();
        }
        c.publishWith().topic("sized/small-" + i).payload(new byte[] {(byte) i}).send();
      }
    } finally {
      c.disconnect();
    }

    ConsumerRecord<String, byte[]> r = awaitRecord("dead-letters", "eventSubscriptions/sized");
    JsonObject data =
        new JsonObject(new String(r.value(), StandardCharsets.UTF_8)).getJsonObject("data");
    assertThat(data.getString("deadLetterReason")).isEqualTo("DeliveryRefused");
    assertThat(data.getString("lastDeliveryOutcome")).startsWith("RecordTooLargeException");
    assertThat(data.getJsonObject("event").getString("subject")).isEqualTo("sized/large");
    // each record has its own outcome: the others of its batch are delivered, not dead-lettered
    Await.until(
        "the small events are delivered and the large one only is dead-lettered",
        WAIT,
        () ->
            subscriptionMetric("mqttgrid_routing_subscription_delivered_events_total", "sized")
                    == small
                && subscriptionMetric(
                        "mqttgrid_routing_subscription_dead_lettered_events_total", "sized")
                    == 1);
    assertThat(subscriptionMetric("mqttgrid_routing_subscription_failed_events_total", "sized"))
        .isEqualTo(1);
    assertThat(
            records("sized").stream()
                .map(KafkaRoutingIT::subjectOf)
                .filter(s -> s.startsWith("sized/small-"))
                .distinct()
                .count())
        .isEqualTo(small);
  }

  @Test
  void whileKafkaIsDownTheEventIsRetriedThenDelivered() throws Exception {
    double failedBefore = metric("mqtt_failed_routed_messages_total", "ServiceError");
    kafka.stop();
    try {
      publish("sensor-3", "devices/sensor-3/telemetry", "{\"temp\":30}");
      Await.until(
          "a failed attempt to reach the stopped Kafka is counted",
          WAIT,
          () -> metric("mqtt_failed_routed_messages_total", "ServiceError") > failedBefore);
      assertThat(metric("mqttgrid_routing_buffered_events", null)).isPositive();
    } finally {
      kafka.start();
    }
    ConsumerRecord<String, byte[]> r =
        awaitRecord("telemetry", "devices/sensor-3/telemetry", Duration.ofSeconds(60));
    assertThat(r.key()).isEqualTo("devices/sensor-3/telemetry");
    Await.until(
        "the routing buffer is empty",
        WAIT,
        () -> metric("mqttgrid_routing_buffered_events", null) == 0);
  }

  private static void publish(String clientId, String topic, String json) {
    broker.publishJson(clientId, topic, json);
  }

  private static ConsumerRecord<String, byte[]> awaitRecord(String topic, String subject) {
    return awaitRecord(topic, subject, WAIT);
  }

  /** The record of {@code topic} whose event has {@code subject}, reading from the beginning. */
  private static ConsumerRecord<String, byte[]> awaitRecord(
      String topic, String subject, Duration timeout) {
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    Await.until(
        "an event of " + subject + " in Kafka topic " + topic,
        timeout,
        () -> {
          Optional<ConsumerRecord<String, byte[]>> r =
              records(topic).stream().filter(x -> subject.equals(subjectOf(x))).findFirst();
          r.ifPresent(found::add);
          return r.isPresent();
        });
    return found.get(0);
  }

  private static String subjectOf(ConsumerRecord<String, byte[]> r) {
    return KafkaMessageFactory.createReader(r).toEvent().getSubject();
  }

  /** Every record of the topic (one partition) so far; none when it does not exist yet. */
  private static List<ConsumerRecord<String, byte[]>> records(String topic) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG,
                false,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (partitions == null || partitions.isEmpty()) {
        return out;
      }
      TopicPartition p = new TopicPartition(topic, 0);
      consumer.assign(List.of(p));
      consumer.seekToBeginning(List.of(p));
      long end = consumer.endOffsets(List.of(p), Duration.ofSeconds(5)).get(p);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (consumer.position(p, Duration.ofSeconds(5)) < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(?:\\{(.*)})?\\s+(\\S+)$", Pattern.MULTILINE);

  /** The sum of the samples of {@code name} for the destination {@code subscription}. */
  private static double subscriptionMetric(String name, String subscription) throws Exception {
    Matcher m = SAMPLE.matcher(broker.scrapeMetrics());
    double sum = 0;
    while (m.find()) {
      if (m.group(1).equals(name)
          && m.group(2) != null
          && m.group(2).contains("Subscription=\"" + subscription + "\"")) {
        sum += Double.parseDouble(m.group(3));
      }
    }
    return sum;
  }

  private static double metric(String name, String error) throws Exception {
    Matcher m = SAMPLE.matcher(broker.scrapeMetrics());
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
