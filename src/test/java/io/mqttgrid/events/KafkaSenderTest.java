package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.RoutingSettings;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** The Kafka destination's producer configuration and error dimensions (docs/routing.md). */
class KafkaSenderTest {

  private static RoutingSettings.KafkaDestination destination(Map<String, String> settings) {
    return new RoutingSettings.KafkaDestination(
        "k1:9092", "t", RoutingSettings.KafkaKey.TOPIC, false, settings);
  }

  @Test
  void theProducerWaitsForAllReplicasIdempotentlyAndGivesUpWithinTheRoutingTimeout() {
    Map<String, Object> p = KafkaSender.settings(destination(Map.of()), 3000);
    assertThat(p)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, "3000")
        .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000")
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "3005")
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "k1:9092");
  }

  @Test
  void theDestinationsSettingsWinAndTheDeliveryTimeoutStaysValid() {
    Map<String, Object> p =
        KafkaSender.settings(destination(Map.of("acks", "1", "linger.ms", "100")), 3000);
    assertThat(p)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "1")
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "3100");
  }

  @Test
  void transientFailuresAreRetriedAndRefusalsAreNot() {
    assertThat(KafkaSender.error(new TimeoutException("no metadata")))
        .isEqualTo(RoutingErrors.SERVICE_ERROR);
    assertThat(KafkaSender.error(new NotEnoughReplicasException("x")))
        .isEqualTo(RoutingErrors.SERVICE_ERROR);
    assertThat(KafkaSender.error(new TopicAuthorizationException("x")))
        .isEqualTo(RoutingErrors.AUTHENTICATION_ERROR);
    assertThat(KafkaSender.error(new RecordTooLargeException("x")))
        .isEqualTo(RoutingErrors.CLIENT_ERROR);
  }

  @Test
  void aTopicMissingFromTheMetadataSaysThatKafkaMayBeDown() {
    // what the producer says both when the cluster does not answer and when the topic is missing
    // (and not created automatically): the log line must not send an operator after the topic only
    assertThat(
            KafkaSender.describe(
                new TimeoutException("Topic mqtt-events not present in metadata after 10000 ms.")))
        .isEqualTo(
            "TimeoutException: Topic mqtt-events not present in metadata after 10000 ms."
                + " (Kafka did not answer, or the topic does not exist)");
    assertThat(KafkaSender.describe(new RecordTooLargeException("too large")))
        .isEqualTo("RecordTooLargeException: too large");
  }
}
