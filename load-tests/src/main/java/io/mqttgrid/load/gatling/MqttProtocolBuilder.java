package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ProtocolBuilder;
import io.mqttgrid.load.gatling.internal.MqttProtocol;
import java.time.Duration;

/** The broker every MQTT action of a scenario talks to: {@code MqttDsl.mqtt.url("tcp://127.0.0.1:1883")}. */
public record MqttProtocolBuilder(MqttSettings settings) implements ProtocolBuilder {

  /** {@code tcp://host:port}, or {@code ssl://host:port} for TLS. */
  public MqttProtocolBuilder url(String url) {
    return new MqttProtocolBuilder(settings.withUrl(url));
  }

  /** How long the TCP connect and then the CONNACK may each take before a connect fails. */
  public MqttProtocolBuilder connectTimeout(Duration timeout) {
    return new MqttProtocolBuilder(settings.withConnectTimeoutMillis(timeout.toMillis()));
  }

  /** Received messages each connection keeps for later waits before dropping the oldest. */
  public MqttProtocolBuilder inboxCapacity(int messages) {
    return new MqttProtocolBuilder(settings.withInboxCapacity(messages));
  }

  /** Over TLS, trust the server certificate (or its CA) in this PEM file instead of the JDK's trust store. */
  public MqttProtocolBuilder trustCertificate(String pemFile) {
    return new MqttProtocolBuilder(settings.withTrustCertificateFile(pemFile));
  }

  @Override
  public io.gatling.core.protocol.Protocol protocol() {
    return new MqttProtocol(settings);
  }
}
