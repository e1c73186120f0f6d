package io.mqttgrid.load.gatling;

import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import io.mqttgrid.load.auth.JwtAuthMechanism;

/**
 * How a CONNECT authenticates beyond username/password: a TLS client certificate (PEM certificate and PKCS#8
 * key files) and/or MQTT 5 enhanced authentication in CONNECT (method and data, e.g. {@code CUSTOM-JWT} and a
 * token). Every field is Gatling Expression Language and may be null (not sent), so a feeder can give each
 * virtual user its own certificate or token.
 */
public record MqttConnectAuth(String clientCertificateFile, String clientKeyFile, String authenticationMethod,
    String authenticationData) {

  public static final MqttConnectAuth NONE = new MqttConnectAuth(null, null, null, null);

  public MqttConnectAuth withClientCertificate(String certificateFile, String keyFile) {
    return new MqttConnectAuth(certificateFile, keyFile, authenticationMethod, authenticationData);
  }

  public MqttConnectAuth withEnhancedAuth(String method, String data) {
    return new MqttConnectAuth(clientCertificateFile, clientKeyFile, method, data);
  }

  /** The same, with the expressions resolved for one virtual user. */
  public record Values(String clientCertificateFile, String clientKeyFile, String authenticationMethod,
      String authenticationData) {

    public static final Values NONE = new Values(null, null, null, null);

    /** Null when the CONNECT carries no authentication method. */
    Mqtt5EnhancedAuthMechanism enhancedAuth() {
      return authenticationMethod == null ? null
          : new JwtAuthMechanism(authenticationMethod, authenticationData == null ? "" : authenticationData);
    }
  }
}
