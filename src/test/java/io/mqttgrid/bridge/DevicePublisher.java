package io.mqttgrid.bridge;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
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

  /**
   * Publishes {@code text} at QoS 1 on {@code topic} every 200 ms until a message reaches {@code
   * inbox}, at most 50 times: a remote-to-local dataflow subscribes at the remote in the
   * background, and what is published before it has no route there. Answers the first message that
   * arrived, or null when none did.
   */
  static Mqtt5Publish publishUntilOneArrives(
      Mqtt5BlockingClient publisher, String topic, String text, Inbox<Mqtt5Publish> inbox)
      throws InterruptedException {
    for (int attempt = 0; attempt < 50; attempt++) {
      publisher
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(text.getBytes(StandardCharsets.UTF_8))
          .send();
      Thread.sleep(200);
      if (!inbox.isEmpty()) {
        return inbox.next();
      }
    }
    return null;
  }
}
