package io.mqttgrid.http;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The size of the MQTT 5 PUBLISH packet that carries a message (MQTT 5 section 3.3): what the broker's
 * Maximum Packet Size bounds, and what the retained-message API reports as {@code size}.
 */
final class MqttPacketSize {

  private MqttPacketSize() {
  }

  static long publish(PublishedMessage m) {
    return publish(m.topic(), m.qos(), m.payloadFormat(), m.expiresAtMillis() != 0, m.contentType(),
        m.responseTopic(), m.correlationData(), m.userProperties(), m.payload().length);
  }

  static long publish(String topic, int qos, int payloadFormat, boolean expires, String contentType,
                      String responseTopic, byte[] correlationData, List<UserProperty> userProperties,
                      int payloadLength) {
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
      props += 1 + 2 + utf8(p.name()) + 2 + utf8(p.value());
    }
    long remaining = 2 + utf8(topic) + (qos > 0 ? 2 : 0) + varIntSize(props) + props + payloadLength;
    return 1 + varIntSize(remaining) + remaining;
  }

  private static long string(String s) {
    return s == null ? 0 : 1 + 2 + utf8(s);
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static int varIntSize(long value) {
    int size = 1;
    while (value >= 128) {
      value >>= 7;
      size++;
    }
    return size;
  }
}
