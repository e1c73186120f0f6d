package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a message carries across the bridge besides its topic: a response topic mapped through the
 * dataflow that carries the request, so that a request-reply exchange works across the bridge, and
 * the CloudEvent attributes of an endpoint with {@code cloudEventAttributes: CreateOrRemap}.
 */
class BridgeRequestReplyIT {

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
          - name: cloud
            mqttSettings: { host: "127.0.0.1:%1$d", clientIdPrefix: edge- }
          - name: cloud-ce
            mqttSettings:
              host: "127.0.0.1:%1$d"
              clientIdPrefix: edge-
              cloudEventAttributes: CreateOrRemap
        dataflows:
          - name: up
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: ["edge/#"] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud, dataDestination: "site7/${inputTopic}" }
          - name: down
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: cloud, dataSources: ["site7/edge/+/resp"] }
              - operationType: Destination
                destinationSettings: { endpointRef: default, dataDestination: "edge/${inputTopic.3}/resp" }
          - name: ce-up
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: ["ce/#"] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud-ce, dataDestination: "events/${inputTopic.2}" }
          - name: ce-down
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: cloud-ce, dataSources: ["commands/#"] }
              - operationType: Destination
                destinationSettings: { endpointRef: default, dataDestination: "fromcloud/${inputTopic.2}" }
        """
            .formatted(cloud.mqttPort()));
    edge = TestBroker.start(Map.of("bridge.file", file.toString()));
    BridgeAwait.connected(edge, "up", "down", "ce-up", "ce-down");
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void aReplyToTheMappedResponseTopicComesBackToTheRequester() throws Exception {
    Mqtt5BlockingClient responder = cloud.v5("cloud-responder");
    Inbox<Mqtt5Publish> requests =
        Inbox.connectAndSubscribe(responder, "site7/edge/+/req", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient requester = edge.v5("edge-requester");
    Inbox<Mqtt5Publish> replies =
        Inbox.connectAndSubscribe(requester, "edge/cmd/resp", MqttQos.AT_LEAST_ONCE);

    requester
        .publishWith()
        .topic("edge/cmd/req")
        .qos(MqttQos.AT_LEAST_ONCE)
        .responseTopic("edge/cmd/resp")
        .correlationData(bytes("c-1"))
        .payload(bytes("start"))
        .send();
    Mqtt5Publish request = requests.next();
    assertThat(request.getTopic().toString()).isEqualTo("site7/edge/cmd/req");
    assertThat(request.getResponseTopic().map(Object::toString))
        .as("mapped as the dataflow maps its topics: edge/# -> site7/${inputTopic}")
        .hasValue("site7/edge/cmd/resp");
    assertThat(request.getUserProperties().asList())
        .as("Propagate (the default): no CloudEvent attributes added")
        .noneMatch(p -> p.getName().toString().equals("specversion"));

    responder
        .publishWith()
        .topic(request.getResponseTopic().get())
        .qos(MqttQos.AT_LEAST_ONCE)
        .correlationData(request.getCorrelationData().get())
        .payload(bytes("done"))
        .send();
    Mqtt5Publish reply = replies.next();
    assertThat(reply.getTopic().toString()).isEqualTo("edge/cmd/resp");
    assertThat(Inbox.text(reply)).isEqualTo("done");
    assertThat(reply.getCorrelationData().map(b -> text(b))).hasValue("c-1");

    // a response topic the dataflow's sources do not match goes as it is
    requester
        .publishWith()
        .topic("edge/cmd/req")
        .qos(MqttQos.AT_LEAST_ONCE)
        .responseTopic("replies/r-2")
        .payload(bytes("again"))
        .send();
    assertThat(requests.next().getResponseTopic().map(Object::toString)).hasValue("replies/r-2");
    requester.disconnect();
    responder.disconnect();
  }

  @Test
  void createOrRemapAddsTheMissingCloudEventAttributesBothWays() throws Exception {
    Mqtt5BlockingClient cloudApp = cloud.v5("cloud-ce-app");
    Inbox<Mqtt5Publish> events =
        Inbox.connectAndSubscribe(cloudApp, "events/#", MqttQos.AT_LEAST_ONCE);
    Mqtt5BlockingClient device = edge.v5("edge-ce-device");
    Inbox<Mqtt5Publish> commands =
        Inbox.connectAndSubscribe(device, "fromcloud/#", MqttQos.AT_LEAST_ONCE);

    device
        .publishWith()
        .topic("ce/temperature")
        .qos(MqttQos.AT_LEAST_ONCE)
        .contentType("application/json")
        .payload(bytes("{\"t\":21.5}"))
        .send();
    Map<String, String> created = properties(events.next());
    assertThat(created)
        .containsEntry("specversion", "1.0")
        .containsEntry("type", "ms.aio-dataflow.telemetry")
        .containsEntry("source", "aio://ce-up")
        .containsEntry("subject", "events/temperature")
        .containsKeys("id", "time");
    assertThat(Instant.parse(created.get("time"))).isBefore(Instant.now().plusSeconds(1));

    device
        .publishWith()
        .topic("ce/pressure")
        .qos(MqttQos.AT_LEAST_ONCE)
        .userProperties()
        .add("specversion", "1.0")
        .add("id", "e-42")
        .add("type", "com.example.reading")
        .add("source", "urn:press-7")
        .applyUserProperties()
        .payload(bytes("3.2"))
        .send();
    Map<String, String> kept = properties(events.next());
    assertThat(kept)
        .as("the event's own attributes are kept, the missing ones added")
        .containsEntry("id", "e-42")
        .containsEntry("type", "com.example.reading")
        .containsEntry("source", "urn:press-7")
        .containsEntry("subject", "events/pressure");

    cloudApp
        .publishWith()
        .topic("commands/stop")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(bytes("now"))
        .send();
    Map<String, String> down = properties(commands.next());
    assertThat(down)
        .containsEntry("specversion", "1.0")
        .containsEntry("source", "aio://ce-down")
        .containsEntry("subject", "fromcloud/stop")
        .containsKeys("id", "time");
    device.disconnect();
    cloudApp.disconnect();
  }

  private static Map<String, String> properties(Mqtt5Publish p) {
    Map<String, String> out = new LinkedHashMap<>();
    p.getUserProperties()
        .asList()
        .forEach(u -> out.put(u.getName().toString(), u.getValue().toString()));
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return new String(out, StandardCharsets.UTF_8);
  }
}
