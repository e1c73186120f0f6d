package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * State a restart must bring back, made and checked the way clients and operators do: retained
 * messages published over MQTT, namespace resources through the management API.
 */
final class PersistedState {

  static final String TOKEN = "persistence-admin-token-0123456789";
  static final String ARM =
      "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.EventGrid/namespaces/mqttgrid";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** topic -> payload of the retained messages that must be back. */
  final Map<String, String> retained = new HashMap<>();

  /** Clients that must be back (created) and must not (created, then deleted). */
  final Map<String, Boolean> clients = new HashMap<>();

  /** A v5 client of the node at host:port, connected with a clean start. */
  static Mqtt5BlockingClient connect(String host, int port, String clientId) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost(host)
            .serverPort(port)
            .buildBlocking();
    c.connectWith().cleanStart(true).send();
    return c;
  }

  /**
   * Retains {@code count} messages under {@code persist/<prefix>/...} (one cleared again with an
   * empty payload, one with a 1-second expiry that must be gone after the restart) through the node
   * at host:port; each publish is acknowledged (QoS 1) before the next.
   */
  void retain(String host, int port, String prefix, int count) {
    Mqtt5BlockingClient c = connect(host, port, "retainer-" + prefix);
    for (int i = 0; i < count; i++) {
      String topic = "persist/" + prefix + "/" + i;
      String payload = prefix + "-" + i;
      var publish =
          c.publishWith()
              .topic(topic)
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .payload(payload.getBytes(StandardCharsets.UTF_8));
      // every third one expires in an hour: its expiry must come back with it
      (i % 3 == 0 ? publish.messageExpiryInterval(3600) : publish).send();
      retained.put(topic, payload);
    }
    // a cleared topic stays cleared
    c.publishWith()
        .topic("persist/" + prefix + "/0")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(new byte[0])
        .send();
    retained.remove("persist/" + prefix + "/0");
    // expired by the time the node is back
    c.publishWith()
        .topic("persist/" + prefix + "/expiring")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .messageExpiryInterval(1)
        .payload("soon gone".getBytes(StandardCharsets.UTF_8))
        .send();
    c.disconnect();
  }

  /** Creates {@code count} clients and a topic space, and deletes the first client again. */
  void createResources(String host, int managementPort, String prefix, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      String name = prefix + "-dev" + i;
      HttpResponse<String> r =
          call(
              host,
              managementPort,
              "PUT",
              ARM + "/clients/" + name,
              "{\"properties\": {\"attributes\": {\"floor\": " + i + "}}}");
      assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
      clients.put(name, true);
    }
    HttpResponse<String> space =
        call(
            host,
            managementPort,
            "PUT",
            ARM + "/topicSpaces/" + prefix + "-space",
            "{\"properties\": {\"topicTemplates\": [\"persist/#\"]}}");
    assertThat(space.statusCode()).as(space.body()).isIn(200, 201);
    HttpResponse<String> deleted =
        call(host, managementPort, "DELETE", ARM + "/clients/" + prefix + "-dev0", null);
    assertThat(deleted.statusCode()).as(deleted.body()).isIn(200, 202, 204);
    clients.put(prefix + "-dev0", false);
  }

  /** Every retained message is there (and no other under persist/), with its expiry where set. */
  void assertRetainedBack(String host, int port) throws Exception {
    Mqtt5BlockingClient c = connect(host, port, "checker-" + System.nanoTime());
    Inbox<Mqtt5Publish> inbox = Inbox.of(c);
    c.subscribeWith().topicFilter("persist/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Map<String, String> got = new HashMap<>();
    for (int i = 0; i < retained.size(); i++) {
      Mqtt5Publish p = inbox.next();
      assertThat(p.isRetain()).as(p.getTopic().toString()).isTrue();
      got.put(p.getTopic().toString(), new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
      String index = p.getTopic().toString().replaceAll(".*/", "");
      if (index.matches("\\d+") && Integer.parseInt(index) % 3 == 0) {
        assertThat(p.getMessageExpiryInterval()).as("expiry of " + p.getTopic()).isPresent();
        assertThat(p.getMessageExpiryInterval().getAsLong()).isBetween(1L, 3600L);
      }
    }
    assertThat(got).isEqualTo(retained);
    // nothing else: a message published after the subscription comes after every retained one
    c.publishWith().topic("persist/sentinel").qos(MqttQos.AT_LEAST_ONCE).send();
    List<Mqtt5Publish> more = inbox.until("persist/sentinel");
    assertThat(more).extracting(p -> p.getTopic().toString()).isEmpty();
    c.disconnect();
  }

  /** The clients created are there with their attributes, the deleted one is not. */
  void assertResourcesBack(String host, int managementPort) throws Exception {
    for (Map.Entry<String, Boolean> e : clients.entrySet()) {
      HttpResponse<String> r =
          call(host, managementPort, "GET", ARM + "/clients/" + e.getKey(), null);
      assertThat(r.statusCode())
          .as(e.getKey() + ": " + r.body())
          .isEqualTo(e.getValue() ? 200 : 404);
      if (e.getValue()) {
        String floor = e.getKey().replaceAll(".*-dev", "");
        assertThat(r.body()).contains("\"floor\":" + floor);
      }
    }
  }

  /** The topic space {@code prefix-space} is there. */
  void assertTopicSpaceBack(String host, int managementPort, String prefix) throws Exception {
    HttpResponse<String> r =
        call(host, managementPort, "GET", ARM + "/topicSpaces/" + prefix + "-space", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("persist/#");
  }

  static HttpResponse<String> call(String host, int port, String method, String path, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
            .timeout(Duration.ofSeconds(15))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
