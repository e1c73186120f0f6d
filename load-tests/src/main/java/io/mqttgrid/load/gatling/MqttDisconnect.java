package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.DisconnectActionBuilder;

/** DISCONNECT (normal disconnection), reported as the time until the client has closed the connection. */
public record MqttDisconnect(String requestName) implements ActionBuilder {

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new DisconnectActionBuilder(this);
  }
}
