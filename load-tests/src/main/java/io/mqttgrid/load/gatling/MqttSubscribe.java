package io.mqttgrid.load.gatling;

import io.gatling.javaapi.core.ActionBuilder;
import io.mqttgrid.load.gatling.internal.SubscribeActionBuilder;

/**
 * SUBSCRIBE, reported as the time until SUBACK (KO with the reason code when refused). What happens to the
 * messages it brings:
 * <ul>
 *   <li>by default they go to the connection's inbox, for {@code waitForMessage} and {@code request};</li>
 *   <li>{@link #deliveryLatency(String)}: each is reported under that name as the time from the send time
 *   stamped into its payload to its arrival (a consumer that only drains), and not kept;</li>
 *   <li>{@link #replyToRequests()}: each is sent back to its response topic with its correlation data (a
 *   responder); combined with {@code deliveryLatency} the request's delivery is reported too.</li>
 * </ul>
 */
public record MqttSubscribe(String requestName, String topicFilter, int qos, String deliveryLatencyName,
    boolean replies) implements ActionBuilder {

  public MqttSubscribe qos(int value) {
    return new MqttSubscribe(requestName, topicFilter, value, deliveryLatencyName, replies);
  }

  public MqttSubscribe deliveryLatency(String name) {
    return new MqttSubscribe(requestName, topicFilter, qos, name, replies);
  }

  public MqttSubscribe replyToRequests() {
    return new MqttSubscribe(requestName, topicFilter, qos, deliveryLatencyName, true);
  }

  @Override
  public io.gatling.core.action.builder.ActionBuilder asScala() {
    return new SubscribeActionBuilder(this);
  }
}
