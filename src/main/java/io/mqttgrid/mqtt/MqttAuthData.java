package io.mqttgrid.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;
import java.nio.charset.StandardCharsets;

/**
 * The credential fields of a CONNECT: user name, password, and the MQTT 5 authentication method and
 * data.
 */
record MqttAuthData(String username, byte[] password, String method, byte[] data) {

  static MqttAuthData of(MqttEndpoint endpoint) {
    MqttAuth auth = endpoint.auth();
    String username = auth == null ? null : auth.getUsername();
    byte[] password =
        auth == null || auth.getPassword() == null
            ? null
            : auth.getPassword().getBytes(StandardCharsets.UTF_8);
    String method = null;
    byte[] data = null;
    MqttProperties props = endpoint.connectProperties();
    if (props != null) {
      MqttProperties.MqttProperty<?> m = props.getProperty(MqttProperties.AUTHENTICATION_METHOD);
      method = m == null ? null : (String) m.value();
      MqttProperties.MqttProperty<?> d = props.getProperty(MqttProperties.AUTHENTICATION_DATA);
      data = d == null ? null : (byte[]) d.value();
    }
    return new MqttAuthData(username, password, method, data);
  }
}
