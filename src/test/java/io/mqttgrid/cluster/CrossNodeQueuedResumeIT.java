package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TwoNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent sessions that queued messages while offline resume through the other node of two: the
 * new node claims each session's stored queue, which lives on whichever member owns its partition,
 * so over several client ids some claims are answered by the other member. That answer (the queue's
 * messages) has no serializer of ours: Hazelcast's zero-config compact serialization carries it,
 * which this test keeps honest.
 */
class CrossNodeQueuedResumeIT {

  @TempDir Path dir;

  @Test
  void queuedMessagesArriveWhenTheSessionResumesOnTheOtherNode() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(dir, Map.of())) {
      TestBroker a = nodes.a;
      TestBroker b = nodes.b;
      Mqtt5BlockingClient pub = a.v5("resume-pub");
      pub.connect();
      for (int i = 0; i < 8; i++) {
        String id = "resume-" + i;
        Mqtt5BlockingClient device = a.v5(id);
        device.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
        device.subscribeWith().topicFilter("resume/" + i).qos(MqttQos.AT_LEAST_ONCE).send();
        device.disconnect();
        pub.publishWith()
            .topic("resume/" + i)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(("queued " + i).getBytes(StandardCharsets.UTF_8))
            .send();

        Mqtt5BlockingClient again = b.v5(id);
        try (var inbox = again.publishes(MqttGlobalPublishFilter.ALL)) {
          assertThat(
                  again
                      .connectWith()
                      .cleanStart(false)
                      .sessionExpiryInterval(300)
                      .send()
                      .isSessionPresent())
              .as("%s's session present on the other node", id)
              .isTrue();
          Optional<Mqtt5Publish> got = inbox.receive(10, TimeUnit.SECONDS);
          assertThat(got).as("%s's queued message", id).isPresent();
          assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
              .isEqualTo("queued " + i);
        } finally {
          again.disconnect();
        }
      }
      pub.disconnect();
    }
  }
}
