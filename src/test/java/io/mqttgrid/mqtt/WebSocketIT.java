package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * MQTT over WebSocket (path /mqtt) is the same broker: messages cross between WebSocket and TCP
 * clients.
 */
@WithBroker
class WebSocketIT {

  static TestBroker broker;

  private static Mqtt5BlockingClient webSocketV5(String clientId) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(broker.websocketPort())
        .webSocketConfig()
        .serverPath("mqtt")
        .applyWebSocketConfig()
        .buildBlocking();
  }

  @Test
  void webSocketClientConnectsWithTheSameLimitsAsTcp() {
    Mqtt5BlockingClient ws = webSocketV5("ws-limits");
    Mqtt5ConnAck ack = ws.connect();
    assertThat(ack.getRestrictions().getMaximumPacketSize()).isEqualTo(524_288);
    assertThat(ack.getRestrictions().getTopicAliasMaximum()).isEqualTo(10);
    ws.disconnect();
  }

  @Test
  void webSocketPublisherReachesTcpSubscriberAndBackAtEveryQos() throws Exception {
    Mqtt5BlockingClient ws = webSocketV5("ws-client");
    ws.connect();
    Mqtt5BlockingClient tcp = broker.v5("tcp-client");
    tcp.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes toWs = ws.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5BlockingClient.Mqtt5Publishes toTcp = tcp.publishes(MqttGlobalPublishFilter.ALL)) {
      ws.subscribeWith().topicFilter("ws/down/#").qos(MqttQos.EXACTLY_ONCE).send();
      tcp.subscribeWith().topicFilter("ws/up/#").qos(MqttQos.EXACTLY_ONCE).send();
      for (MqttQos qos : MqttQos.values()) {
        ws.publishWith()
            .topic("ws/up/" + qos.getCode())
            .qos(qos)
            .payload(("up " + qos).getBytes(StandardCharsets.UTF_8))
            .send();
        assertReceived(
            toTcp, "ws/up/" + qos.getCode(), qos, ("up " + qos).getBytes(StandardCharsets.UTF_8));

        tcp.publishWith()
            .topic("ws/down/" + qos.getCode())
            .qos(qos)
            .payload(("down " + qos).getBytes(StandardCharsets.UTF_8))
            .send();
        assertReceived(
            toWs,
            "ws/down/" + qos.getCode(),
            qos,
            ("down " + qos).getBytes(StandardCharsets.UTF_8));
      }
    }
    ws.disconnect();
    tcp.disconnect();
  }

  @Test
  void largeMessagesCrossTheWebSocketInBothDirections() throws Exception {
    byte[] big = new byte[200_000]; // several default WebSocket frame sizes, well under 512 KiB
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    Mqtt5BlockingClient ws = webSocketV5("ws-big");
    ws.connect();
    Mqtt5BlockingClient tcp = broker.v5("tcp-big");
    tcp.connect();
    try (Mqtt5BlockingClient.Mqtt5Publishes toWs = ws.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5BlockingClient.Mqtt5Publishes toTcp = tcp.publishes(MqttGlobalPublishFilter.ALL)) {
      ws.subscribeWith().topicFilter("ws/big/down").qos(MqttQos.AT_LEAST_ONCE).send();
      tcp.subscribeWith().topicFilter("ws/big/up").qos(MqttQos.AT_LEAST_ONCE).send();
      ws.publishWith().topic("ws/big/up").qos(MqttQos.AT_LEAST_ONCE).payload(big).send();
      assertReceived(toTcp, "ws/big/up", MqttQos.AT_LEAST_ONCE, big);
      tcp.publishWith().topic("ws/big/down").qos(MqttQos.AT_LEAST_ONCE).payload(big).send();
      assertReceived(toWs, "ws/big/down", MqttQos.AT_LEAST_ONCE, big);
    }
    ws.disconnect();
    tcp.disconnect();
  }

  @Test
  void v3ClientOverWebSocketExchangesMessagesWithV5OverTcp() throws Exception {
    Mqtt3BlockingClient ws3 =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier("ws-v3")
            .serverHost("127.0.0.1")
            .serverPort(broker.websocketPort())
            .webSocketConfig()
            .serverPath("mqtt")
            .applyWebSocketConfig()
            .buildBlocking();
    ws3.connect();
    Mqtt5BlockingClient tcp = broker.v5("tcp-for-v3");
    tcp.connect();
    try (Mqtt3BlockingClient.Mqtt3Publishes toWs = ws3.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5BlockingClient.Mqtt5Publishes toTcp = tcp.publishes(MqttGlobalPublishFilter.ALL)) {
      ws3.subscribeWith().topicFilter("ws3/down").qos(MqttQos.AT_LEAST_ONCE).send();
      tcp.subscribeWith().topicFilter("ws3/up").qos(MqttQos.AT_LEAST_ONCE).send();
      ws3.publishWith()
          .topic("ws3/up")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("from ws".getBytes())
          .send();
      assertReceived(toTcp, "ws3/up", MqttQos.AT_LEAST_ONCE, "from ws".getBytes());
      tcp.publishWith()
          .topic("ws3/down")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("from tcp".getBytes())
          .send();
      var m = toWs.receive(10, TimeUnit.SECONDS);
      assertThat(m).isPresent();
      assertThat(m.get().getTopic().toString()).isEqualTo("ws3/down");
      assertThat(m.get().getPayloadAsBytes()).isEqualTo("from tcp".getBytes());
    }
    ws3.disconnect();
    tcp.disconnect();
  }

  private static void assertReceived(
      Mqtt5BlockingClient.Mqtt5Publishes publishes, String topic, MqttQos qos, byte[] payload)
      throws InterruptedException {
    Optional<Mqtt5Publish> m = publishes.receive(10, TimeUnit.SECONDS);
    assertThat(m).as("message on " + topic).isPresent();
    assertThat(m.get().getTopic().toString()).isEqualTo(topic);
    assertThat(m.get().getQos()).isEqualTo(qos);
    assertThat(Arrays.equals(m.get().getPayloadAsBytes(), payload)).as("payload intact").isTrue();
  }
}
