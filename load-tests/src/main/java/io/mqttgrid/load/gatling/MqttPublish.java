package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.PublishActionBuilder;

/**
 * PUBLISH, reported as the time until PUBACK at QoS 1 (KO with its reason code when it is an error), or
 * until the message is written at QoS 0. The payload is {@link TimestampedPayload} of {@code payloadSize}
 * bytes unless {@link #payload(String)} gives a text (Expression Language) instead.
 */
public record MqttPublish(String requestName, String topic, int qos, int payloadSize, String payload,
    boolean retain) implements ActionBuilder {

  public MqttPublish qos(int value) {
    return new MqttPublish(requestName, topic, value, payloadSize, payload, retain);
  }

  public MqttPublish payloadSize(int bytes) {
    return new MqttPublish(requestName, topic, qos, bytes, payload, retain);
  }

  public MqttPublish payload(String expression) {
    return new MqttPublish(requestName, topic, qos, payloadSize, expression, retain);
  }

  public MqttPublish retain(boolean value) {
    return new MqttPublish(requestName, topic, qos, payloadSize, payload, value);
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new PublishActionBuilder(this);
  }
}
