package io.mqttgrid.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads of MQTT packet fields that the CONNECT, PUBLISH and SUBSCRIBE handlers share. */
final class PacketFields {

  private PacketFields() {
  }

  /** An integer property, or null when absent (MQTT 3.1.1 packets have no properties: always absent). */
  static Integer intProperty(MqttProperties props, int id) {
    if (props == null) {
      return null;
    }
    MqttProperties.MqttProperty<?> p = props.getProperty(id);
    return p == null ? null : (Integer) p.value();
  }

  static String stringProperty(MqttProperties props, int id) {
    MqttProperties.MqttProperty<?> p = props.getProperty(id);
    return p == null ? null : (String) p.value();
  }

  /** Whether a payload declared UTF-8 (Payload Format Indicator 1) is well-formed UTF-8; null counts as empty. */
  static boolean isUtf8(byte[] bytes) {
    if (bytes == null) {
      return true;
    }
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
