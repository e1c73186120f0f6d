package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.WaitForMessageActionBuilder;
import java.time.Duration;

/**
 * Takes the next inbox message (optionally only one on an exact topic), KO with {@code timeout} when none
 * comes in time. Reported from the send time stamped into the payload when it has one (end-to-end
 * delivery), otherwise from the start of the wait. {@link #checkPayloadContains} turns a message without
 * that text into a KO; {@link #saveAs} keeps the payload text in the session.
 */
public record MqttWaitForMessage(String requestName, long timeoutMillis, String topic, String payloadContains,
    String saveAs) implements ActionBuilder {

  public MqttWaitForMessage timeout(Duration timeout) {
    return new MqttWaitForMessage(requestName, timeout.toMillis(), topic, payloadContains, saveAs);
  }

  public MqttWaitForMessage onTopic(String expression) {
    return new MqttWaitForMessage(requestName, timeoutMillis, expression, payloadContains, saveAs);
  }

  public MqttWaitForMessage checkPayloadContains(String expression) {
    return new MqttWaitForMessage(requestName, timeoutMillis, topic, expression, saveAs);
  }

  public MqttWaitForMessage saveAs(String attribute) {
    return new MqttWaitForMessage(requestName, timeoutMillis, topic, payloadContains, attribute);
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new WaitForMessageActionBuilder(this);
  }
}
