package io.mqttgrid.load.gatling;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A PUBLISH one connection received, copied out of the client's buffers. */
public record ReceivedMessage(String topic, byte[] payload, byte[] correlationData, String responseTopic,
    long receivedAtMillis) {

  static ReceivedMessage of(Mqtt5Publish publish, long receivedAtMillis) {
    byte[] correlation = publish.getCorrelationData().map(buffer -> {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return bytes;
    }).orElse(null);
    return new ReceivedMessage(publish.getTopic().toString(), publish.getPayloadAsBytes(), correlation,
        publish.getResponseTopic().map(Object::toString).orElse(null), receivedAtMillis);
  }

  /** The send time stamped into the payload ({@link TimestampedPayload}), or -1. */
  public long sentAtMillis() {
    return TimestampedPayload.sentAtMillis(payload);
  }

  public String payloadAsString() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  public boolean hasCorrelationData(byte[] expected) {
    return correlationData != null && Arrays.equals(correlationData, expected);
  }
}
