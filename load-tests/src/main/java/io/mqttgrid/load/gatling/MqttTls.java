package io.mqttgrid.load.gatling;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import io.mqttgrid.load.auth.TlsPemFiles;

/**
 * TLS of a scenario's connections: on when the url says {@code ssl://}, {@code tls://} or {@code mqtts://};
 * the server's certificate is checked against {@code trustCertificateFile} (PEM: the server certificate or the
 * CA that issued it) or, when null, the JDK's default trust store. Host names are verified, so the server
 * certificate must name the host of the url (an IP SAN for {@code 127.0.0.1}).
 */
public record MqttTls(boolean enabled, String trustCertificateFile) {

  public static final MqttTls PLAIN = new MqttTls(false, null);

  public MqttTls withEnabled(boolean value) {
    return new MqttTls(value, trustCertificateFile);
  }

  public MqttTls withTrustCertificateFile(String file) {
    return new MqttTls(enabled, file);
  }

  /** What one connection presents: null without TLS; a client certificate only when the connect names one. */
  MqttClientSslConfig sslConfig(MqttConnectAuth.Values auth) {
    if (!enabled) {
      if (auth.clientCertificateFile() != null) {
        throw new IllegalArgumentException("a client certificate needs TLS: use an ssl:// url");
      }
      return null;
    }
    return TlsPemFiles.sslConfig(trustCertificateFile, auth.clientCertificateFile(), auth.clientKeyFile());
  }
}
