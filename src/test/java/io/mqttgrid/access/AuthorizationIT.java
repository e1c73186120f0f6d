package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.mqttgrid.hazelcast.HazelcastSessionOwnership;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestCertificates.Issued;
import io.mqttgrid.testing.TestCertificates.Spec;
import io.mqttgrid.testing.TlsListeners;
import io.mqttgrid.testing.WithBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorization end to end (spec section 4) with the commander/telemetry set-up of the IoT MQ
 * bridge tutorial (seed 004): X.509 clients under an uploaded CA, the subject as authentication
 * name when CONNECT has no Username, a group of commanders selected by an attribute, two topic
 * spaces and four bindings; plus per-client templates, the session rules of section 1.2 and rights
 * taken away while clients are connected.
 */
@WithBroker(configMethod = "brokerConfig")
class AuthorizationIT {

  private static final String TOKEN = "authorization-it-admin-token";
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  static TlsListeners tls;
  static TestBroker broker;
  static Issued root;
  static Issued intermediate;
  static Issued mosquitto;
  static Issued bridge;
  static Issued device1;
  static Issued evil;

  private final List<AutoCloseable> open = new ArrayList<>();

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    tls = TlsListeners.create(dir);
    root = TestCertificates.rootCa("CN=Walkthrough Root");
    intermediate = root.issueCa("CN=Walkthrough Intermediate");
    mosquitto = intermediate.issue(new Spec("CN=mosquitto"));
    bridge = intermediate.issue(new Spec("CN=mqttbridge"));
    device1 = intermediate.issue(new Spec("CN=device1"));
    evil = intermediate.issue(new Spec("CN=evil"));
    Files.writeString(
        dir.resolve("namespace.yaml"),
        """
        settings:
          maximumClientSessionsPerAuthenticationName: 3
          clientAuthentication:
            alternativeAuthenticationNameSources: [ClientCertificateSubject]
        clients:
          mqttbridge: {}
          mosquitto:
            attributes: { commander: "true" }
          device1:
            attributes: { floor: 3, zones: [north, south] }
          evil:
            attributes: { floor: "+", zones: ["#", "x/y"] }
        clientGroups:
          commanders: { query: "attributes.commander = 'true'" }
        topicSpaces:
          telemetry: { topicTemplates: ["factory/telemetry/#"] }
          command:   { topicTemplates: ["command/#"] }
          own:       { topicTemplates: ["devices/${client.authenticationName}/#",
                                        "floors/${client.attributes.floor}/${client.attributes.zones}/#"] }
        permissionBindings:
          all-pub-telemetry: { clientGroupName: $all, topicSpaceName: telemetry, permission: Publisher }
          all-sub-command:   { clientGroupName: $all, topicSpaceName: command, permission: Subscriber }
          cmd-pub-command:   { clientGroupName: commanders, topicSpaceName: command, permission: Publisher }
          cmd-sub-telemetry: { clientGroupName: commanders, topicSpaceName: telemetry, permission: Subscriber }
          all-pub-own:       { clientGroupName: $all, topicSpaceName: own, permission: Publisher }
          all-sub-own:       { clientGroupName: $all, topicSpaceName: own, permission: Subscriber }
        caCertificates:
          root: { encodedCertificate: "%s" }
          intermediate: { encodedCertificate: "%s" }
        """
            .formatted(root.pem().replace("\n", "\\n"), intermediate.pem().replace("\n", "\\n")));
    return tls.brokerConfig(
        "auth.anonymous",
        "false",
        "namespace.file",
        dir.resolve("namespace.yaml").toString(),
        "management.token",
        TOKEN);
  }

  @AfterEach
  void closeClients() {
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception ignored) {
        // already gone
      }
    }
  }

  /**
   * An MQTT 5 client over TLS with a certificate and no Username: the subject names it (spec
   * section 3.4).
   */
  private Mqtt5BlockingClient v5(String clientId, Issued certificate) throws Exception {
    Mqtt5BlockingClient c =
        tls.client(clientId, false, certificate.keyManagerFactory())
            .useMqttVersion5()
            .buildBlocking();
    open.add(
        () -> {
          if (c.getState().isConnected()) {
            c.disconnect();
          }
        });
    return c;
  }

  private Mqtt5BlockingClient connected(String clientId, Issued certificate) throws Exception {
    Mqtt5BlockingClient c = v5(clientId, certificate);
    c.connectWith().cleanStart(true).send();
    return c;
  }

  private static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes inbox)
      throws InterruptedException {
    Optional<Mqtt5Publish> p = inbox.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(p).as("a message within " + WAIT).isPresent();
    return p.get();
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static void refusedPublish(Mqtt5BlockingClient c, String topic) {
    assertThatThrownBy(() -> publish(c, topic, "x"))
        .isInstanceOfSatisfying(
            Mqtt5PubAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
  }

  private static void refusedSubscribe(Mqtt5BlockingClient c, String filter) {
    assertThatThrownBy(
            () -> c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send())
        .isInstanceOfSatisfying(
            Mqtt5SubAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCodes())
                    .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
  }

  @Test
  void theBridgePublishesTelemetryAndReceivesCommandsWhileTheCommanderDoesTheOpposite()
      throws Exception {
    Mqtt5BlockingClient commander = connected("mosquitto_sub", mosquitto);
    Mqtt5BlockingClient bridgeClient = connected("bridge-a", bridge);
    try (Mqtt5BlockingClient.Mqtt5Publishes telemetry =
            commander.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.SUBSCRIBED);
        Mqtt5BlockingClient.Mqtt5Publishes commands =
            bridgeClient.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.SUBSCRIBED)) {
      commander
          .subscribeWith()
          .topicFilter("factory/telemetry/#")
          .qos(MqttQos.AT_LEAST_ONCE)
          .send();
      bridgeClient.subscribeWith().topicFilter("command/#").qos(MqttQos.AT_LEAST_ONCE).send();

      publish(bridgeClient, "factory/telemetry/temperature", "21.5");
      assertThat(receive(telemetry).getTopic().toString())
          .isEqualTo("factory/telemetry/temperature");
      publish(commander, "command/restart", "this is a command from the cloud!");
      assertThat(new String(receive(commands).getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("this is a command from the cloud!");

      // what the bridge is not granted
      refusedSubscribe(bridgeClient, "factory/telemetry/#");
      refusedSubscribe(bridgeClient, "#");
      refusedPublish(bridgeClient, "command/restart");
      refusedPublish(bridgeClient, "somewhere/else");
      // a filter wider than the one template is refused even where parts are covered
      refusedSubscribe(commander, "+/telemetry/#");
      // shared subscriptions are judged by their filter
      commander.subscribeWith().topicFilter("$share/ops/factory/telemetry/+").send();
      refusedSubscribe(bridgeClient, "$share/ops/factory/telemetry/+");
      assertThat(telemetry.receive(200, TimeUnit.MILLISECONDS))
          .as("nothing else reached the commander")
          .isEmpty();
    }
  }

  @Test
  void anMqtt311ClientIsDisconnectedForAPublishItIsNotGranted() throws Exception {
    Mqtt3BlockingClient v3 =
        tls.client("bridge-v3", false, bridge.keyManagerFactory())
            .useMqttVersion3()
            .buildBlocking();
    v3.connect();
    assertThatThrownBy(
            () ->
                v3.subscribeWith()
                    .topicFilter("factory/telemetry/#")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send())
        .isInstanceOfSatisfying(
            com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReturnCodes())
                    .containsExactly(
                        com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode
                            .FAILURE));
    v3.publishWith().topic("factory/telemetry/x").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThatThrownBy(() -> v3.publishWith().topic("command/x").qos(MqttQos.AT_LEAST_ONCE).send())
        .as("spec section 4.3: v3.1.1 has no negative PUBACK, the connection is closed");
    eventually(() -> !v3.getState().isConnected());
  }

  @Test
  void templatesGiveEachClientItsOwnTopicsAndValuesNeverWidenThem() throws Exception {
    Mqtt5BlockingClient d1 = connected("device1-s1", device1);
    publish(d1, "devices/device1/temperature", "20");
    refusedPublish(d1, "devices/mqttbridge/temperature");
    publish(d1, "floors/3/north/lamp", "on");
    publish(d1, "floors/3/south/lamp", "on");
    refusedPublish(d1, "floors/4/north/lamp");
    d1.subscribeWith().topicFilter("devices/device1/#").send();
    refusedSubscribe(d1, "devices/+/#");
    // attribute values '+', '#' and 'x/y' would widen the template: they grant nothing
    Mqtt5BlockingClient e = connected("evil-s1", evil);
    refusedPublish(e, "floors/anything/north/x");
    refusedPublish(e, "floors/+/x/y/z".replace("+", "p"));
    refusedSubscribe(e, "floors/#");
    publish(e, "devices/evil/ok", "its own topic still works");
  }

  @Test
  void aWillTopicTheClientMayNotPublishRefusesTheConnect() throws Exception {
    Mqtt5BlockingClient c = v5("bridge-will", bridge);
    assertThatThrownBy(
            () -> c.connectWith().willPublish().topic("command/gone").applyWillPublish().send())
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
    Mqtt5BlockingClient ok = v5("bridge-will-ok", bridge);
    ok.connectWith().willPublish().topic("factory/telemetry/gone").applyWillPublish().send();
  }

  @Test
  void anAuthenticationNameHoldsAtMostItsSessionsAndKeepsItsSessionNames() throws Exception {
    connected("bridge-1", bridge);
    connected("bridge-2", bridge);
    connected("bridge-3", bridge);
    Mqtt5BlockingClient fourth = v5("bridge-4", bridge);
    assertThatThrownBy(fourth::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.QUOTA_EXCEEDED));
    // another authentication name cannot take a session name the bridge holds
    Mqtt5BlockingClient thief = v5("bridge-2", mosquitto);
    assertThatThrownBy(thief::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
    // the same name takes its own session over
    Mqtt5BlockingClient again = connected("bridge-3", bridge);
    assertThat(again.getState().isConnected()).isTrue();
    closeClients();
    open.clear();
    // once the sessions have ended the places are free again
    eventually(
        () -> {
          try {
            Mqtt5BlockingClient c = v5("bridge-5", bridge);
            c.connect();
            c.disconnect();
            return true;
          } catch (Mqtt5ConnAckException busy) {
            return false;
          } catch (Exception other) {
            throw new IllegalStateException(other);
          }
        });
  }

  @Test
  void aSessionNameIsReleasedWhenItsSessionEnds() throws Exception {
    // the owner release runs after the connection's removal only when an owner entry exists (a
    // cheap memory read first, issue 15): the entry of an authenticated session must still go
    Map<String, String> owners = broker.broker().hazelcast().getMap(HazelcastSessionOwnership.MAP);
    Mqtt5BlockingClient c = connected("bridge-released", bridge);
    assertThat(owners.get("bridge-released")).isNotNull();
    c.disconnect();
    eventually(() -> !owners.containsKey("bridge-released"));
  }

  @Test
  void clientsLosingRightsOrTheirRegistryEntryAreDisconnected() throws Exception {
    Mqtt5BlockingClient commander = connected("commander-rights", mosquitto);
    commander.subscribeWith().topicFilter("factory/telemetry/#").send();
    Mqtt5BlockingClient d1 = connected("device1-rights", device1);
    // the commander's telemetry subscription is no longer granted once its binding is gone
    assertThat(manage("DELETE", "/permissionBindings/cmd-sub-telemetry", null)).isEqualTo(200);
    try {
      eventually(() -> !commander.getState().isConnected());
      assertThat(
              TestBroker.metricValue(
                  broker.scrapeMetrics(),
                  "mqtt_dropped_sessions_total",
                  "DropReason=\"AuthorizationError\""))
          .as("DroppedSessions AuthorizationError")
          .isGreaterThanOrEqualTo(1);
      // a disabled client is disconnected and cannot come back
      assertThat(manage("PUT", "/clients/device1", "{\"properties\": {\"state\": \"Disabled\"}}"))
          .isEqualTo(200);
      eventually(() -> !d1.getState().isConnected());
      Mqtt5BlockingClient back = v5("device1-back", device1);
      assertThatThrownBy(back::connect).isInstanceOf(Mqtt5ConnAckException.class);
    } finally {
      manage(
          "PUT",
          "/permissionBindings/cmd-sub-telemetry",
          "{\"properties\": {\"clientGroupName\": "
              + "\"commanders\", \"topicSpaceName\": \"telemetry\", \"permission\": \"Subscriber\"}}");
      manage(
          "PUT",
          "/clients/device1",
          "{\"properties\": {\"attributes\": {\"floor\": 3, \"zones\": "
              + "[\"north\", \"south\"]}}}");
    }
  }

  private static int manage(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + broker.managementPort() + "/namespaces/mqttgrid" + path))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r =
        HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  private static void eventually(BooleanSupplier condition) {
    Await.until("condition met", Duration.ofSeconds(10), condition::getAsBoolean);
  }
}
