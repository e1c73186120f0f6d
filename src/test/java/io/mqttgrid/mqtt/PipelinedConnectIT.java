package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * MQTT 3.1.1 section 3.1.4 and MQTT 5 section 3.1.4: a client may send packets before it sees the
 * CONNACK.
 */
@WithBroker
class PipelinedConnectIT {

  static TestBroker broker;

  @Test
  void packetsSentWithTheConnectInOneWriteAreProcessedAfterIt() throws Exception {
    for (int version : new int[] {4, 5}) {
      Mqtt5BlockingClient sub = broker.v5("pipeline-sub-" + version);
      sub.connect();
      sub.subscribeWith().topicFilter("pipelined/" + version).qos(MqttQos.AT_LEAST_ONCE).send();
      try (var inbox = sub.publishes(MqttGlobalPublishFilter.ALL)) {
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        burst.write(
            new RawMqttClient.Connect("pipeliner-" + version).keepAlive(30).encode(version));
        burst.write(
            Packets.publish(
                version, "pipelined/" + version, "early".getBytes(StandardCharsets.UTF_8), 1, 7));
        burst.write(Packets.subscribe(version, 8, "pipelined/echo", 0));
        RawMqttClient raw = RawMqttClient.open(broker.mqttPort(), version);
        raw.send(burst.toByteArray());
        RawMqttClient.Packet connack = raw.read(Duration.ofSeconds(10));
        assertThat(connack.isClosed()).as("CONNACK").isFalse();
        assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
        assertThat(connack.reasonCode()).isZero();
        RawMqttClient.Packet puback = raw.read(Duration.ofSeconds(10));
        assertThat(puback.isClosed()).as("PUBACK").isFalse();
        assertThat(puback.type()).isEqualTo(RawMqttClient.PUBACK);
        assertThat(puback.packetId()).isEqualTo(7);
        RawMqttClient.Packet suback = raw.read(Duration.ofSeconds(10));
        assertThat(suback.isClosed()).as("SUBACK").isFalse();
        assertThat(suback.type()).isEqualTo(RawMqttClient.SUBACK);
        Optional<Mqtt5Publish> got = inbox.receive(5, TimeUnit.SECONDS);
        assertThat(got).isPresent();
        assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
            .isEqualTo("early");
        raw.close();
      }
      sub.disconnect();
    }
  }
}
