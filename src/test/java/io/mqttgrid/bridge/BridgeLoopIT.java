package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pair of dataflows that map the same topics both ways (local {@code loopN/#} up to the remote's
 * {@code loopN/#}, and back down) does not send a message round and round: over MQTT 5 the message
 * does not come back at all (the bridge's marker), over MQTT 3.1.1 it comes back once and goes no
 * further.
 */
class BridgeLoopIT {

  @TempDir static Path dir;

  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    cloud = TestBroker.start();
    Path file = dir.resolve("bridges.yaml");
    StringBuilder flows = new StringBuilder();
    for (String v : new String[] {"5", "3.1.1"}) {
      String root = "loop" + v.charAt(0);
      flows.append(
          """
            - name: %1$s-up
              operations:
                - {operationType: Source, sourceSettings: {endpointRef: default, dataSources: ['%1$s/#']}}
                - {operationType: Destination, destinationSettings: {endpointRef: cloud%2$s, dataDestination: '${inputTopic}'}}
            - name: %1$s-down
              operations:
                - {operationType: Source, sourceSettings: {endpointRef: cloud%2$s, dataSources: ['%1$s/#']}}
                - {operationType: Destination, destinationSettings: {endpointRef: default, dataDestination: '${inputTopic}'}}
          """
              .formatted(root, v.charAt(0)));
    }
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud5
            mqttSettings: {host: "127.0.0.1:%1$d", clientIdPrefix: edge-, mqttVersion: "5"}
          - name: cloud3
            mqttSettings: {host: "127.0.0.1:%1$d", clientIdPrefix: edge-, mqttVersion: "3.1.1"}
        dataflows:
        %2$s"""
            .formatted(cloud.mqttPort(), flows));
    edge = TestBroker.start(Map.of("bridge.file", file.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @ParameterizedTest(name = "remote over MQTT {0}")
  @ValueSource(strings = {"5", "3"})
  void aMessageMappedBothWaysDoesNotGoRoundAndRound(String version) throws Exception {
    String root = "loop" + version;
    awaitBridgeSubscribed(root);
    Mqtt5BlockingClient localSub = edge.v5(root + "-local-sub");
    Inbox<Mqtt5Publish> local =
        Inbox.connectAndSubscribe(localSub, root + "/reading", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient remoteSub = cloud.v5(root + "-remote-sub");
    Inbox<Mqtt5Publish> remote =
        Inbox.connectAndSubscribe(remoteSub, root + "/reading", MqttQos.AT_LEAST_ONCE);

    Mqtt5BlockingClient device = edge.v5(root + "-device");
    device.connect();
    device
        .publishWith()
        .topic(root + "/reading")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("42".getBytes(StandardCharsets.UTF_8))
        .send();

    assertThat(Inbox.text(remote.next())).isEqualTo("42");
    assertThat(Inbox.text(local.next())).isEqualTo("42");
    if (version.equals("3")) {
      // 3.1.1 carries no marker: the copy the remote sends down arrives once, and stops here
      assertThat(Inbox.text(local.next())).isEqualTo("42");
    }
    // a loop would keep bringing it back: a second of quiet on both sides says it does not
    Thread.sleep(1_000);
    assertThat(local.isEmpty()).as("more copies at the edge").isTrue();
    assertThat(remote.isEmpty()).as("more copies at the remote").isTrue();
    if (version.equals("5")) {
      // the down dataflow saw the up dataflow's marker on the remote's copy
      assertThat(
              TestBroker.metricValue(
                  edge.scrapeMetrics(),
                  "mqttgrid_bridge_messages_dropped_total",
                  "dataflow=\"loop5-down\""))
          .isEqualTo(1.0);
    }
    for (Mqtt5BlockingClient c : List.of(localSub, remoteSub, device)) {
      c.disconnect();
    }
  }

  /**
   * Until the cloud routes the down dataflow's subscription (the bridge connects in the
   * background).
   */
  private static void awaitBridgeSubscribed(String root) throws Exception {
    Mqtt5BlockingClient probe = cloud.v5(root + "-probe");
    Mqtt5BlockingClient probeSub = edge.v5(root + "-probe-sub");
    Inbox<Mqtt5Publish> got =
        Inbox.connectAndSubscribe(probeSub, root + "/probe", MqttQos.AT_LEAST_ONCE);
    probe.connect();
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      probe.publishWith().topic(root + "/probe").qos(MqttQos.AT_LEAST_ONCE).send();
      Thread.sleep(200);
      if (!got.isEmpty() || System.currentTimeMillis() > deadline) {
        break;
      }
    }
    assertThat(got.isEmpty()).as("the bridge never brought a probe down").isFalse();
    probe.disconnect();
    probeSub.disconnect();
  }
}
