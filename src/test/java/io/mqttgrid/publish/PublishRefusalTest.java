package io.mqttgrid.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.persistence.PersistenceException;
import io.mqttgrid.publish.PublishRefusal.MqttAnswer;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.wire.ReasonCode;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one table of answers: per refusal, what an MQTT publisher gets (MQTT 5 section 3.3.4, spec
 * section 4.3), what an HTTP caller gets (spec section 5, the error codes of the OpenAPI document)
 * and what a CONNECT whose will breaks the rule gets. Each row is what the broker answered before
 * the paths were one.
 */
class PublishRefusalTest {

  /**
   * cause, MQTT reason, MQTT answer, HTTP status, HTTP code, CONNACK reason for a will (empty: not
   * judged).
   */
  private static final String TABLE =
      """
      QOS_NOT_SUPPORTED,       QOS_NOT_SUPPORTED, DISCONNECT, 400, InvalidQos, QOS_NOT_SUPPORTED
      TOPIC_EMPTY,             PROTOCOL_ERROR, DISCONNECT, 400, InvalidTopic, TOPIC_NAME_INVALID
      TOPIC_CHARACTER,         MALFORMED_PACKET, DISCONNECT, 400, InvalidTopic, MALFORMED_PACKET
      TOPIC_WILDCARD,          TOPIC_NAME_INVALID, DISCONNECT, 400, InvalidTopic, TOPIC_NAME_INVALID
      TOPIC_BEYOND_LIMITS,     TOPIC_NAME_INVALID, REFUSE, 400, InvalidTopic, TOPIC_NAME_INVALID
      RESERVED_TOPIC,          NOT_AUTHORIZED, REFUSE_QOS0_DROPPED, 403, Forbidden, TOPIC_NAME_INVALID
      RETAIN_NOT_SUPPORTED,    RETAIN_NOT_SUPPORTED, DISCONNECT, 400, RetainNotSupported, RETAIN_NOT_SUPPORTED
      RESPONSE_TOPIC_INVALID,  PROTOCOL_ERROR, DISCONNECT, 400, InvalidResponseTopic,
      CONTENT_TYPE_INVALID,    MALFORMED_PACKET, DISCONNECT, 400, InvalidContentType,
      USER_PROPERTIES_INVALID, MALFORMED_PACKET, DISCONNECT, 400, InvalidUserProperties,
      MESSAGE_EXPIRY_INVALID,  MALFORMED_PACKET, DISCONNECT, 400, InvalidMessageExpiry,
      PAYLOAD_FORMAT_INVALID,  PAYLOAD_FORMAT_INVALID, REFUSE, 400, PayloadFormatInvalid, PAYLOAD_FORMAT_INVALID
      PACKET_TOO_LARGE,        PACKET_TOO_LARGE, DISCONNECT, 413, PayloadTooLarge,
      RETAINED_TOO_LARGE,      QUOTA_EXCEEDED, REFUSE_QOS0_DROPPED, 413, PayloadTooLarge,
      PUBLISHER_GONE,          NOT_AUTHORIZED, NONE, 403, Forbidden,
      NOT_AUTHORIZED,          NOT_AUTHORIZED, REFUSE_QOS0_DROPPED, 403, Forbidden,
      QUOTA_EXCEEDED,          QUOTA_EXCEEDED, REFUSE_QOS0_DROPPED, 429, TooManyRequests,
      ROUTING_FAILED,          UNSPECIFIED_ERROR, ACKNOWLEDGE, 500, InternalError,
      SUBSCRIBERS_FULL,        QUOTA_EXCEEDED, ACKNOWLEDGE, 507, SubscriberQueueFull,
      STORE_UNAVAILABLE,       UNSPECIFIED_ERROR, ACKNOWLEDGE, 503, ServiceUnavailable,
      """;

  @ParameterizedTest(name = "{0}")
  @CsvSource(textBlock = TABLE)
  void eachCauseHasTheAnswersEachProtocolGaveItBefore(
      PublishRefusal cause,
      ReasonCode mqttReason,
      MqttAnswer mqttAnswer,
      int httpStatus,
      String httpCode,
      ReasonCode willReason) {
    assertThat(cause.mqttReason()).isEqualTo(mqttReason);
    assertThat(cause.mqttWillReason()).isEqualTo(willReason);
    assertThat(cause.mqttAnswer()).isEqualTo(mqttAnswer);
    assertThat(cause.httpStatus()).isEqualTo(httpStatus);
    assertThat(cause.httpCode()).isEqualTo(httpCode);
  }

  @Test
  void everyCauseIsInTheTable() {
    Set<String> rows = TABLE.lines().map(l -> l.split(",")[0].trim()).collect(Collectors.toSet());
    assertThat(rows)
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(PublishRefusal.values()).map(Enum::name).toList());
  }

  @Test
  void aRoutingFailureMapsToTheRefusalItsCauseStandsFor() {
    assertThat(PublishRefusal.ofRoutingFailure(new QueueFullException("full")))
        .isEqualTo(PublishRefusal.SUBSCRIBERS_FULL);
    // as a Hazelcast operation or a future wraps the store's failure
    assertThat(
            PublishRefusal.ofRoutingFailure(
                new CompletionException(
                    new IllegalStateException(new PersistenceException("database down")))))
        .isEqualTo(PublishRefusal.STORE_UNAVAILABLE);
    assertThat(PublishRefusal.ofRoutingFailure(new IllegalStateException("node left")))
        .isEqualTo(PublishRefusal.ROUTING_FAILED);
  }

  @Test
  void everyRefusalIsAnMqttErrorAndAnHttpError() {
    for (PublishRefusal cause : PublishRefusal.values()) {
      assertThat(cause.mqttReason().isError()).as("%s", cause).isTrue();
      assertThat(cause.httpStatus()).as("%s", cause).isBetween(400, 599);
    }
  }
}
