package io.mqttgrid.publish;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.wire.MqttPacketSize;
import java.util.List;

/**
 * A message as its publisher asks for it, in MQTT 5 terms, before the pipeline has judged it: what
 * each source (an MQTT PUBLISH, an HTTP request, later a bridge) translates its input into.
 */
public interface PublishRequest {

  String topic();

  int qos();

  boolean retain();

  byte[] payload();

  /** Response Topic, or null. */
  String responseTopic();

  /** Correlation Data, or null. */
  byte[] correlationData();

  /** User Properties in their order, duplicates kept. */
  List<UserProperty> userProperties();

  /** Content Type, or null. */
  String contentType();

  /** Message Expiry Interval in seconds, -1 for none. */
  long expirySeconds();

  /** Payload Format Indicator, -1 when absent. */
  int payloadFormat();

  /**
   * The message to route: {@code id}, published by {@code publisherClientId} at {@code nowMillis}.
   */
  default PublishedMessage toMessage(String id, String publisherClientId, long nowMillis) {
    long expiresAt = expirySeconds() < 0 ? 0 : nowMillis + expirySeconds() * 1000L;
    return new PublishedMessage(
        id,
        topic(),
        payload(),
        qos(),
        retain(),
        publisherClientId,
        nowMillis,
        expiresAt,
        payloadFormat(),
        contentType(),
        responseTopic(),
        correlationData(),
        userProperties());
  }

  /** Bytes of the MQTT 5 PUBLISH packet that carries this message to a subscriber. */
  default long mqttPacketSize() {
    return MqttPacketSize.publish(
        topic(),
        qos(),
        payloadFormat(),
        expirySeconds() >= 0,
        contentType(),
        responseTopic(),
        correlationData(),
        userProperties(),
        payload().length);
  }

  /** A request as plain fields. */
  static PublishRequest of(
      String topic,
      int qos,
      boolean retain,
      byte[] payload,
      String responseTopic,
      byte[] correlationData,
      List<UserProperty> userProperties,
      String contentType,
      long expirySeconds,
      int payloadFormat) {
    return new Plain(
        topic,
        qos,
        retain,
        payload,
        responseTopic,
        correlationData,
        userProperties,
        contentType,
        expirySeconds,
        payloadFormat);
  }

  /** A request of {@code payload} to {@code topic} without properties. */
  static PublishRequest of(String topic, int qos, boolean retain, byte[] payload) {
    return of(topic, qos, retain, payload, null, null, List.of(), null, -1, -1);
  }

  /** See {@link #of}. */
  record Plain(
      String topic,
      int qos,
      boolean retain,
      byte[] payload,
      String responseTopic,
      byte[] correlationData,
      List<UserProperty> userProperties,
      String contentType,
      long expirySeconds,
      int payloadFormat)
      implements PublishRequest {

    public Plain {
      userProperties = userProperties == null ? List.of() : List.copyOf(userProperties);
    }
  }
}
