package io.mqttgrid.wire;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.util.List;

/**
 * The size of the PUBLISH packet that carries a message (MQTT 5 section 3.3, MQTT 3.1.1 section
 * 3.3): what a Maximum Packet Size bounds, and what the retained-message API reports as {@code
 * size}. Computed, not encoded: vertx-mqtt encodes only while it writes to the socket, too late to
 * refuse a message that does not fit.
 */
public final class MqttPacketSize {

  private MqttPacketSize() {}

  /**
   * The MQTT 5 PUBLISH of {@code m} at {@code qos}, with its own QoS and no Subscription
   * Identifier.
   */
  public static long publish(PublishedMessage m) {
    return publish(m, m.qos());
  }

  /**
   * The MQTT 5 PUBLISH of {@code m} at {@code qos}, with one Subscription Identifier per {@code
   * subscriptionIds}.
   */
  public static long publish(PublishedMessage m, int qos, int... subscriptionIds) {
    return publish(
        m.topic(),
        qos,
        m.payloadFormat(),
        m.expiresAtMillis() != 0,
        m.contentType(),
        m.responseTopic(),
        m.correlationData(),
        m.userProperties(),
        m.payload().length,
        subscriptionIds);
  }

  /**
   * The MQTT 5 PUBLISH of a message not built yet.
   *
   * @param payloadFormat -1 when the Payload Format Indicator is absent
   * @param expires whether it carries a Message Expiry Interval
   */
  public static long publish(
      String topic,
      int qos,
      int payloadFormat,
      boolean expires,
      String contentType,
      String responseTopic,
      byte[] correlationData,
      List<UserProperty> userProperties,
      int payloadLength,
      int... subscriptionIds) {
    long props = 0;
    if (payloadFormat >= 0) {
      props += 1 + 1;
    }
    if (expires) {
      props += 1 + 4;
    }
    props += string(contentType) + string(responseTopic);
    if (correlationData != null) {
      props += 1 + 2 + correlationData.length;
    }
    for (UserProperty p : userProperties) {
      props += 1 + 2 + Utf8.length(p.name()) + 2 + Utf8.length(p.value());
    }
    for (int id : subscriptionIds) {
      props += 1 + VarInt.size(id);
    }
    long remaining =
        2L + Utf8.length(topic) + (qos > 0 ? 2 : 0) + VarInt.size(props) + props + payloadLength;
    return 1 + VarInt.size(remaining) + remaining;
  }

  /** The MQTT 3.1.1 PUBLISH of {@code m} at {@code qos}: no properties. */
  public static long publishV311(PublishedMessage m, int qos) {
    long remaining = 2L + Utf8.length(m.topic()) + (qos > 0 ? 2 : 0) + m.payload().length;
    return 1 + VarInt.size(remaining) + remaining;
  }

  private static long string(String s) {
    return s == null ? 0 : 1 + 2 + Utf8.length(s);
  }
}
