package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote reached over MQTT over WebSockets ({@code protocol: WebSockets}), the way a broker
 * behind a proxy that passes only HTTP(S) is reached: both directions through the cloud's WebSocket
 * listener (path {@code /mqtt}).
 */
class BridgeWebSocketIT {

  @TempDir static Path dir;

  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start();
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud-ws
            mqttSettings:
              host: 127.0.0.1:%d
              protocol: WebSockets
              webSocketPath: /mqtt
              clientIdPrefix: edge-ws-
        dataflows:
          - name: up
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: default, dataSources: ['ws/up/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: cloud-ws, dataDestination: 'from-edge/${inputTopic.3}'}}
          - name: down
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud-ws, dataSources: ['to-edge/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default, dataDestination: 'ws/down/${inputTopic.2}'}}
        """
            .formatted(cloud.websocketPort()));
    edge = TestBroker.start(Map.of("bridge.file", file.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void messagesGoBothWaysOverWebSockets() throws Exception {
    Mqtt5BlockingClient remoteSub = cloud.v5("ws-remote-sub");
    Inbox<Mqtt5Publish> atRemote =
        Inbox.connectAndSubscribe(remoteSub, "from-edge/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient localSub = edge.v5("ws-local-sub");
    Inbox<Mqtt5Publish> atEdge =
        Inbox.connectAndSubscribe(localSub, "ws/down/#", MqttQos.AT_LEAST_ONCE);

    Mqtt5BlockingClient device = edge.v5("ws-device");
    device.connect();
    DevicePublisher.publishUntilAcknowledged(device, "ws/up/temp", "19.0", Duration.ofMillis(200));
    Mqtt5Publish up = atRemote.next();
    assertThat(up.getTopic().toString()).isEqualTo("from-edge/temp");
    assertThat(Inbox.text(up)).isEqualTo("19.0");

    // down: the bridge subscribes in the background; publish until one arrives
    Mqtt5BlockingClient remotePub = cloud.v5("ws-remote-pub");
    remotePub.connect();
    Mqtt5Publish down =
        DevicePublisher.publishUntilOneArrives(remotePub, "to-edge/cmd", "stop", atEdge);
    assertThat(down).as("nothing came down over WebSockets").isNotNull();
    assertThat(down.getTopic().toString()).isEqualTo("ws/down/cmd");
    assertThat(Inbox.text(down)).isEqualTo("stop");
    for (Mqtt5BlockingClient c : List.of(remoteSub, localSub, device, remotePub)) {
      c.disconnect();
    }
  }
}
