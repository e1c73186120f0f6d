package io.mqttgrid.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.BrokerConfig;
import io.mqttgrid.publish.PublishSource.Kind;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.wire.MqttLimits;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a message must be, whoever publishes it, and which rules a source's transport has already
 * applied.
 */
class PublishRulesTest {

  private static final MqttLimits DEFAULTS = BrokerConfig.of(Map.of()).limits;

  private static PublishRequest message(String topic) {
    return PublishRequest.of(topic, 1, false, "x".getBytes(StandardCharsets.UTF_8));
  }

  private static PublishRequest withProperties(
      String responseTopic,
      List<UserProperty> userProperties,
      String contentType,
      long expirySeconds) {
    return PublishRequest.of(
        "t",
        1,
        false,
        new byte[0],
        responseTopic,
        null,
        userProperties,
        contentType,
        expirySeconds,
        -1);
  }

  private static PublishRefusal cause(PublishRequest r, MqttLimits limits, Kind kind) {
    PublishPipeline.Refused refused = PublishRules.check(r, limits, kind);
    if (refused != null) {
      assertThat(refused.detail()).as("detail of %s", refused.cause()).isNotBlank();
    }
    return refused == null ? null : refused.cause();
  }

  private static PublishRefusal cause(PublishRequest r) {
    return cause(r, DEFAULTS, Kind.HTTP);
  }

  private static MqttLimits limits(String key, String value) {
    return BrokerConfig.of(Map.of(key, value)).limits;
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aPlainMessageBreaksNoRule(Kind kind) {
    assertThat(PublishRules.check(message("devices/d1/state"), DEFAULTS, kind)).isNull();
  }

  @Test
  void aQosAboveTheBrokersMaximumIsNotSupported() {
    PublishRequest qos2 = PublishRequest.of("t", 2, false, new byte[0]);
    assertThat(cause(qos2)).isNull();
    assertThat(cause(qos2, limits("limits.max-qos", "1"), Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.QOS_NOT_SUPPORTED);
    assertThat(PublishRules.check(qos2, limits("limits.max-qos", "1"), Kind.HTTP).detail())
        .contains("up to 1");
    assertThat(
            cause(
                PublishRequest.of("t", 1, false, new byte[0]),
                limits("limits.max-qos", "0"),
                Kind.HTTP))
        .isEqualTo(PublishRefusal.QOS_NOT_SUPPORTED);
  }

  @Test
  void eachWayATopicNameIsInvalidHasItsCause() {
    assertThat(cause(message(""))).isEqualTo(PublishRefusal.TOPIC_EMPTY);
    assertThat(cause(message("a\u0000b"))).isEqualTo(PublishRefusal.TOPIC_CHARACTER);
    assertThat(cause(message("a/\uFFFD"))).isEqualTo(PublishRefusal.TOPIC_CHARACTER);
    assertThat(cause(message("a/+/b"))).isEqualTo(PublishRefusal.TOPIC_WILDCARD);
    assertThat(cause(message("a/#"))).isEqualTo(PublishRefusal.TOPIC_WILDCARD);
  }

  @Test
  void aTopicNameMayHave256BytesAnd15LevelsAndNoMore() {
    assertThat(cause(message("a".repeat(256)))).isNull();
    assertThat(cause(message("a".repeat(257)))).isEqualTo(PublishRefusal.TOPIC_BEYOND_LIMITS);
    assertThat(cause(message("\u20ac".repeat(86))))
        .as("258 bytes of UTF-8")
        .isEqualTo(PublishRefusal.TOPIC_BEYOND_LIMITS);
    String levels15 = String.join("/", Collections.nCopies(15, "l"));
    assertThat(cause(message(levels15))).isNull();
    assertThat(cause(message(levels15 + "/l"))).isEqualTo(PublishRefusal.TOPIC_BEYOND_LIMITS);
    assertThat(PublishRules.check(message(levels15 + "/l"), DEFAULTS, Kind.HTTP).detail())
        .contains("15 levels");
  }

  @Test
  void dollarTopicsAreTheBrokersOwn() {
    for (Kind kind : List.of(Kind.MQTT_CLIENT, Kind.HTTP, Kind.BRIDGE)) {
      assertThat(cause(message("$SYS/broker"), DEFAULTS, kind))
          .as("%s", kind)
          .isEqualTo(PublishRefusal.RESERVED_TOPIC);
    }
    assertThat(cause(message("$events/clients/c1"), DEFAULTS, Kind.SYSTEM)).isNull();
    assertThat(cause(message("a/$b"))).isNull();
  }

  @Test
  void retainIsRefusedWhereRetainedMessagesAreOff() {
    MqttLimits off = limits("limits.retain-available", "false");
    assertThat(cause(PublishRequest.of("t", 1, true, new byte[0]), off, Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.RETAIN_NOT_SUPPORTED);
    assertThat(cause(PublishRequest.of("t", 1, false, new byte[0]), off, Kind.MQTT_CLIENT))
        .isNull();
  }

  @Test
  void aResponseTopicMustBeATopicName() {
    assertThat(cause(withProperties("replies/d1", List.of(), null, -1))).isNull();
    assertThat(cause(withProperties("replies/+", List.of(), null, -1)))
        .isEqualTo(PublishRefusal.RESPONSE_TOPIC_INVALID);
    assertThat(cause(withProperties("r".repeat(257), List.of(), null, -1)))
        .isEqualTo(PublishRefusal.RESPONSE_TOPIC_INVALID);
    assertThat(cause(withProperties("", List.of(), null, -1)))
        .isEqualTo(PublishRefusal.RESPONSE_TOPIC_INVALID);
  }

  @Test
  void stringPropertiesMayNotHoldUPlus0000() {
    assertThat(cause(withProperties(null, List.of(new UserProperty("a", "b")), "text/plain", -1)))
        .isNull();
    assertThat(cause(withProperties(null, List.of(new UserProperty("a", "b\u0000")), null, -1)))
        .isEqualTo(PublishRefusal.USER_PROPERTIES_INVALID);
    assertThat(cause(withProperties(null, List.of(new UserProperty("a\u0000", "b")), null, -1)))
        .isEqualTo(PublishRefusal.USER_PROPERTIES_INVALID);
    assertThat(cause(withProperties(null, List.of(), "text/\u0000", -1)))
        .isEqualTo(PublishRefusal.CONTENT_TYPE_INVALID);
  }

  @Test
  void theMessageExpiryIntervalIsAFourByteNumberOfSeconds() {
    assertThat(cause(withProperties(null, List.of(), null, 0))).isNull();
    assertThat(cause(withProperties(null, List.of(), null, 4294967295L))).isNull();
    assertThat(cause(withProperties(null, List.of(), null, 4294967296L)))
        .isEqualTo(PublishRefusal.MESSAGE_EXPIRY_INVALID);
  }

  @Test
  void payloadFormatOneNeedsUtf8() {
    byte[] broken = {(byte) 0xC3};
    assertThat(cause(PublishRequest.of("t", 1, false, broken, null, null, List.of(), null, -1, 0)))
        .isNull();
    assertThat(
            cause(
                PublishRequest.of(
                    "t",
                    1,
                    false,
                    "h\u00e9".getBytes(StandardCharsets.UTF_8),
                    null,
                    null,
                    List.of(),
                    null,
                    -1,
                    1)))
        .isNull();
    for (Kind kind : Kind.values()) {
      assertThat(
              cause(
                  PublishRequest.of("t", 1, false, broken, null, null, List.of(), null, -1, 1),
                  DEFAULTS,
                  kind))
          .as("%s", kind)
          .isEqualTo(PublishRefusal.PAYLOAD_FORMAT_INVALID);
    }
  }

  @Test
  void aMessageMustFitTheMaximumPacketAsAnMqtt5Publish() {
    int max = DEFAULTS.maxPacketSize();
    assertThat(cause(PublishRequest.of("t", 1, false, new byte[max - 64]))).isNull();
    assertThat(cause(PublishRequest.of("t", 1, false, new byte[max])))
        .isEqualTo(PublishRefusal.PACKET_TOO_LARGE);
    // the properties count too
    assertThat(
            cause(
                PublishRequest.of(
                    "t",
                    1,
                    false,
                    new byte[max - 64],
                    null,
                    new byte[100],
                    List.of(),
                    null,
                    -1,
                    -1)))
        .isEqualTo(PublishRefusal.PACKET_TOO_LARGE);
  }

  @Test
  void aRetainedPayloadMayHaveTheRetainedMaximumAndNoMore() {
    int max = DEFAULTS.maxRetainedPayload();
    assertThat(cause(PublishRequest.of("t", 1, true, new byte[max]))).isNull();
    assertThat(cause(PublishRequest.of("t", 1, true, new byte[max + 1])))
        .isEqualTo(PublishRefusal.RETAINED_TOO_LARGE);
    assertThat(cause(PublishRequest.of("t", 1, false, new byte[max + 1]))).isNull();
    assertThat(
            cause(PublishRequest.of("t", 1, true, new byte[max + 1]), DEFAULTS, Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.RETAINED_TOO_LARGE);
  }

  /**
   * An MQTT client's packet was judged as it arrived, the only place its own size is known: an MQTT
   * 3.1.1 PUBLISH of exactly the maximum is one byte larger as the MQTT 5 PUBLISH computed here,
   * and a topic alias makes the packet smaller than the message. Its Response Topic was held to
   * MQTT's rule there (no wildcards), not to the topic limits the HTTP API adds.
   */
  @Test
  void anMqttClientsPacketIsNotMeasuredOrItsPropertiesJudgedTwice() {
    PublishRequest atTheLimit =
        PublishRequest.of("t", 1, false, new byte[DEFAULTS.maxPacketSize() - 8]);
    assertThat(cause(atTheLimit, DEFAULTS, Kind.HTTP)).isEqualTo(PublishRefusal.PACKET_TOO_LARGE);
    assertThat(cause(atTheLimit, DEFAULTS, Kind.BRIDGE)).isEqualTo(PublishRefusal.PACKET_TOO_LARGE);
    assertThat(cause(atTheLimit, DEFAULTS, Kind.MQTT_CLIENT)).isNull();
    PublishRequest longResponseTopic = withProperties("r".repeat(300), List.of(), null, -1);
    assertThat(cause(longResponseTopic, DEFAULTS, Kind.HTTP))
        .isEqualTo(PublishRefusal.RESPONSE_TOPIC_INVALID);
    assertThat(cause(longResponseTopic, DEFAULTS, Kind.MQTT_CLIENT)).isNull();
  }

  @Test
  void theFirstRuleBrokenIsTheOneAnswered() {
    MqttLimits strict =
        BrokerConfig.of(Map.of("limits.max-qos", "1", "limits.retain-available", "false")).limits;
    // the QoS first: an MQTT client that used one the broker does not offer is disconnected for
    // that
    assertThat(cause(PublishRequest.of("a/+", 2, true, new byte[0]), strict, Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.QOS_NOT_SUPPORTED);
    // then the topic name, then retain, then the payload, then sizes
    assertThat(cause(PublishRequest.of("a/+", 1, true, new byte[0]), strict, Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.TOPIC_WILDCARD);
    assertThat(cause(PublishRequest.of("$x", 1, true, new byte[0]), strict, Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.RESERVED_TOPIC);
    assertThat(
            cause(
                PublishRequest.of(
                    "t", 1, true, new byte[] {(byte) 0xFF}, null, null, List.of(), null, -1, 1),
                strict,
                Kind.MQTT_CLIENT))
        .isEqualTo(PublishRefusal.RETAIN_NOT_SUPPORTED);
    byte[] large = new byte[DEFAULTS.maxPacketSize()];
    large[0] = (byte) 0xFF;
    assertThat(cause(PublishRequest.of("t", 1, true, large, null, null, List.of(), null, -1, 1)))
        .isEqualTo(PublishRefusal.PAYLOAD_FORMAT_INVALID);
    assertThat(cause(PublishRequest.of("t", 1, true, new byte[DEFAULTS.maxPacketSize()])))
        .isEqualTo(PublishRefusal.PACKET_TOO_LARGE);
  }

  @Test
  void detailsEchoTheInputSafely() {
    String detail =
        PublishRules.check(message("a/+\n" + "x".repeat(400)), DEFAULTS, Kind.HTTP).detail();
    assertThat(detail)
        .contains("wildcard")
        .contains("\\u000a")
        .doesNotContain("\n")
        .hasSizeLessThan(500);
  }
}
