package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@WithBroker
class PublishSubscribeIT {

  static TestBroker broker;

  @Test
  void v5PublisherReachesV5AndV3SubscribersAtEachQos() throws Exception {
    Mqtt5BlockingClient sub5 = broker.v5("sub5");
    sub5.connect();
    Mqtt3BlockingClient sub3 = broker.v3("sub3");
    sub3.connect();
    sub5.subscribeWith().topicFilter("pubsub/+/x").qos(MqttQos.EXACTLY_ONCE).send();
    sub3.subscribeWith().topicFilter("pubsub/#").qos(MqttQos.EXACTLY_ONCE).send();
    try (Mqtt5BlockingClient.Mqtt5Publishes p5 =
            sub5.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL);
        com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes p3 =
            sub3.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      Mqtt5BlockingClient pub = broker.v5("pub");
      pub.connect();
      for (MqttQos qos : MqttQos.values()) {
        pub.publishWith()
            .topic("pubsub/a/x")
            .qos(qos)
            .payload(("m" + qos.getCode()).getBytes())
            .send();
        Optional<Mqtt5Publish> r5 = p5.receive(5, TimeUnit.SECONDS);
        assertThat(r5).isPresent();
        assertThat(r5.get().getQos()).isEqualTo(qos);
        assertThat(new String(r5.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
            .isEqualTo("m" + qos.getCode());
        var r3 = p3.receive(5, TimeUnit.SECONDS);
        assertThat(r3).isPresent();
        assertThat(r3.get().getQos()).isEqualTo(qos);
      }
      pub.disconnect();
    }
    sub5.disconnect();
    sub3.disconnect();
  }
}
