package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.ConnectActionBuilder;

/**
 * CONNECT, reported as the time until CONNACK. {@code clientId}, {@code username} and {@code password} are
 * Expression Language; a null client id becomes {@code gatling-<run>-<virtual user id>}. A client certificate
 * or a token go in {@link MqttConnectAuth}.
 */
public record MqttConnect(String requestName, String clientId, boolean cleanStart, long sessionExpirySeconds,
    int keepAliveSeconds, String username, String password, MqttConnectAuth auth) implements ActionBuilder {

  public MqttConnect clientId(String expression) {
    return new MqttConnect(requestName, expression, cleanStart, sessionExpirySeconds, keepAliveSeconds, username,
        password, auth);
  }

  public MqttConnect cleanStart(boolean value) {
    return new MqttConnect(requestName, clientId, value, sessionExpirySeconds, keepAliveSeconds, username,
        password, auth);
  }

  public MqttConnect sessionExpiry(long seconds) {
    return new MqttConnect(requestName, clientId, cleanStart, seconds, keepAliveSeconds, username, password, auth);
  }

  public MqttConnect keepAlive(int seconds) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, seconds, username, password, auth);
  }

  /** Username and optional password (null: none) in CONNECT. */
  public MqttConnect credentials(String usernameExpression, String passwordExpression) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, keepAliveSeconds,
        usernameExpression, passwordExpression, auth);
  }

  /** Presents this client certificate (PEM files; the protocol must use TLS). Expression Language. */
  public MqttConnect clientCertificate(String certificateFileExpression, String keyFileExpression) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, keepAliveSeconds, username,
        password, auth.withClientCertificate(certificateFileExpression, keyFileExpression));
  }

  /** Sends Authentication Method {@code CUSTOM-JWT} with this token as Authentication Data. Expression Language. */
  public MqttConnect customJwt(String tokenExpression) {
    return enhancedAuth(io.mqttgrid.load.auth.JwtAuthMechanism.CUSTOM_JWT, tokenExpression);
  }

  /** Single-step MQTT 5 enhanced authentication: method and data in CONNECT. Expression Language. */
  public MqttConnect enhancedAuth(String methodExpression, String dataExpression) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, keepAliveSeconds, username,
        password, auth.withEnhancedAuth(methodExpression, dataExpression));
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new ConnectActionBuilder(this);
  }
}
