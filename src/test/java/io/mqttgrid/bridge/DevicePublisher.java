package io.mqttgrid.bridge;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Publishes at QoS 1 as a device does: again when refused. After a node is killed, the survivor
 * adopts the bridge's local session and the bridge reopens it there; a publish in that hand-over
 * can be refused (error PUBACK), never acknowledged and then lost: the tests still fail on any
 * acknowledged message that does not arrive. (A hand-over on one node, as when the bridge reopens
 * its session, refuses nothing: BridgeReloadIT publishes once.)
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
