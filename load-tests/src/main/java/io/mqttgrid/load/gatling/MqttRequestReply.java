package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.RequestReplyActionBuilder;
import java.time.Duration;

/**
 * MQTT 5 request/response: a PUBLISH carrying {@code responseTopic} and 16 fresh bytes of correlation data,
 * then the wait for the inbox message with the same correlation data. Reported as the round trip; KO when
 * the publish is refused or no reply comes within the timeout.
 */
public record MqttRequestReply(String requestName, String topic, String responseTopic, int qos, int payloadSize,
    long timeoutMillis) implements ActionBuilder {

  public MqttRequestReply responseTopic(String expression) {
    return new MqttRequestReply(requestName, topic, expression, qos, payloadSize, timeoutMillis);
  }

  public MqttRequestReply qos(int value) {
    return new MqttRequestReply(requestName, topic, responseTopic, value, payloadSize, timeoutMillis);
  }

  public MqttRequestReply payloadSize(int bytes) {
    return new MqttRequestReply(requestName, topic, responseTopic, qos, bytes, timeoutMillis);
  }

  public MqttRequestReply timeout(Duration timeout) {
    return new MqttRequestReply(requestName, topic, responseTopic, qos, payloadSize, timeout.toMillis());
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    if (responseTopic == null) {
      throw new IllegalStateException("request '" + requestName + "' needs a responseTopic");
    }
    return new RequestReplyActionBuilder(this);
  }
}
