package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.ConnectActionBuilder;

/**
 * CONNECT, reported as the time until CONNACK. {@code clientId}, {@code username} and {@code password} are
 * Expression Language; a null client id becomes {@code gatling-<run>-<virtual user id>}.
 */
public record MqttConnect(String requestName, String clientId, boolean cleanStart, long sessionExpirySeconds,
    int keepAliveSeconds, String username, String password) implements ActionBuilder {

  public MqttConnect clientId(String expression) {
    return new MqttConnect(requestName, expression, cleanStart, sessionExpirySeconds, keepAliveSeconds, username,
        password);
  }

  public MqttConnect cleanStart(boolean value) {
    return new MqttConnect(requestName, clientId, value, sessionExpirySeconds, keepAliveSeconds, username,
        password);
  }

  public MqttConnect sessionExpiry(long seconds) {
    return new MqttConnect(requestName, clientId, cleanStart, seconds, keepAliveSeconds, username, password);
  }

  public MqttConnect keepAlive(int seconds) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, seconds, username, password);
  }

  /** Username and optional password (null: none) in CONNECT. */
  public MqttConnect credentials(String usernameExpression, String passwordExpression) {
    return new MqttConnect(requestName, clientId, cleanStart, sessionExpirySeconds, keepAliveSeconds,
        usernameExpression, passwordExpression);
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new ConnectActionBuilder(this);
  }
}
