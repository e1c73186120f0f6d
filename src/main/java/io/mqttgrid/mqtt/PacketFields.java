package io.mqttgrid.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;

/** Reads of MQTT packet fields that the CONNECT, PUBLISH and SUBSCRIBE handlers share. */
final class PacketFields {

  private PacketFields() {}

  /**
   * An integer property, or null when absent (MQTT 3.1.1 packets have no properties: always
   * absent).
   */
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
}
