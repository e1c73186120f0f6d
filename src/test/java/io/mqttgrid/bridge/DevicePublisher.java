package io.mqttgrid.bridge;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Publishes at QoS 1 as a device does: again when refused. While the bridge's local session changes
 * hands (the bridge reopens it, or a survivor takes it over after a kill), a publish can meet the
 * session's old copy and get an error PUBACK, never a success for a message that is then lost; the
 * tests still fail on any acknowledged message that does not arrive.
 */
final class DevicePublisher {

  private static final int ATTEMPTS = 20;

  private DevicePublisher() {}

  static void publishUntilAcknowledged(
      Mqtt5BlockingClient client, String topic, String text, Duration pause)
      throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        client
            .publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(text.getBytes(StandardCharsets.UTF_8))
            .send();
        return;
      } catch (Mqtt5PubAckException refused) {
        if (attempt == ATTEMPTS) {
          throw refused;
        }
        Thread.sleep(pause.toMillis());
      }
    }
  }
}
