package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge authenticated at the remote by a JWT read from a file (IoT Operations'
 * ServiceAccountToken: the platform renews the token in the file). The remote is a namespace with a
 * custom JWT issuer that ends a connection when its token expires (no clock-skew leeway) unless the
 * client re-authenticated. The token in the file is renewed before it expires: over MQTT 5 the
 * bridge re-authenticates on its connection with AUTH, over MQTT 3.1.1 it reconnects with the new
 * token; either way the remote never ends a connection for an expired token, and the bridge goes on
 * forwarding. A renewed token the remote refuses on the connection makes the bridge reconnect with
 * it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeJwtIT {

  private static final String ISSUER = "https://issuer.bridge-jwt.example";
  private static final String HOST = "cloud.bridge-jwt.example";
  private static final String ADMIN = "edge-admin";

  /** The lifetime of the short-lived token: long enough for two checks of the token file. */
  private static final long SHORT_TOKEN_SECONDS = 6;

  @TempDir static Path dir;

  static TestTokens signer;
  static TestBroker cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    signer = TestTokens.rs256("key1");
    Path namespace = dir.resolve("namespace.json");
    Files.writeString(
        namespace,
        new JsonObject()
            .put(
                "settings",
                new JsonObject()
                    .put("hostname", HOST)
                    .put("maximumClientSessionsPerAuthenticationName", 3)
                    .put(
                        "clientAuthentication",
                        new JsonObject()
                            .put(
                                "customJwtAuthentication",
                                new JsonObject()
                                    .put("tokenIssuer", ISSUER)
                                    .put(
                                        "encodedIssuerCertificates",
                                        new JsonArray()
                                            .add(
                                                new JsonObject()
                                                    .put("kid", "key1")
                                                    .put(
                                                        "encodedCertificate",
                                                        signer.publicKeyPem()))))))
            .put(
                "topicSpaces",
                new JsonObject()
                    .put(
                        "telemetry",
                        new JsonObject().put("topicTemplates", new JsonArray().add("telemetry/#"))))
            .put(
                "permissionBindings",
                new JsonObject()
                    .put(
                        "pub",
                        new JsonObject()
                            .put("clientGroupName", "$all")
                            .put("topicSpaceName", "telemetry")
                            .put("permission", "Publisher"))
                    .put(
                        "sub",
                        new JsonObject()
                            .put("clientGroupName", "$all")
                            .put("topicSpaceName", "telemetry")
                            .put("permission", "Subscriber")))
            .encodePrettily());
    cloud =
        TestBroker.start(
            Map.of(
                "namespace.file",
                namespace.toString(),
                "auth.anonymous",
                "false",
                "auth.jwt-clock-skew",
                "0"));
    // long-lived at first, so that a slow start does not matter; the test renews it with a
    // short-lived one, then renews that before it expires
    long later = System.currentTimeMillis() / 1000 + 600;
    Files.writeString(dir.resolve("token-v5.jwt"), token(later) + "\n");
    Files.writeString(dir.resolve("token-v3.jwt"), token(later) + "\n");
    Path bridges = dir.resolve("bridges.yaml");
    Files.writeString(
        bridges,
        """
        dataflowEndpoints:
          - name: cloud-v5
            mqttSettings:
              host: 127.0.0.1:%1$d
              clientIdPrefix: edge-
              authentication:
                method: ServiceAccountToken
                serviceAccountTokenSettings: { tokenFile: token-v5.jwt }
          - name: cloud-v3
            mqttSettings:
              host: 127.0.0.1:%1$d
              mqttVersion: "3.1.1"
              clientIdPrefix: edge-
              authentication:
                method: ServiceAccountToken
                serviceAccountTokenSettings:
                  tokenFile: token-v3.jwt
                  authenticationMethod: CUSTOM-JWT
        dataflows:
          - name: up-v5
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: [jwt/v5] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud-v5, dataDestination: telemetry/v5 }
          - name: up-v3
            operations:
              - operationType: Source
                sourceSettings: { endpointRef: default, dataSources: [jwt/v3] }
              - operationType: Destination
                destinationSettings: { endpointRef: cloud-v3, dataDestination: telemetry/v3 }
        """
            .formatted(cloud.mqttPort()));
    edge =
        TestBroker.start(
            Map.of(
                "bridge.file",
                bridges.toString(),
                "bridge.watch-interval",
                "1",
                "bridge.reconnect-max-delay",
                "2",
                "management.token",
                ADMIN));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  /** A token of the bridge's identity, expiring at {@code exp} (seconds since the epoch). */
  private static String token(long exp) {
    return signer.sign(TestTokens.claims(ISSUER, "edge-bridge", HOST).put("exp", exp));
  }

  @Test
  @Order(1)
  void aRenewedTokenIsUsedBeforeTheOldOneExpires() throws Exception {
    awaitConnected("up-v5", "up-v3");
    Mqtt3BlockingClient app =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier("cloud-app")
            .serverHost("127.0.0.1")
            .serverPort(cloud.mqttPort())
            .buildBlocking();
    Inbox<Mqtt3Publish> inbox = Inbox.of(app);
    String appToken = signer.sign(TestTokens.claims(ISSUER, "cloud-app", HOST));
    app.connectWith()
        .simpleAuth()
        .username("CUSTOM-JWT")
        .password(appToken.getBytes(StandardCharsets.US_ASCII))
        .applySimpleAuth()
        .send();
    app.subscribeWith().topicFilter("telemetry/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient device = edge.v5("jwt-device");
    device.connect();
    publish(device, "jwt/v5", "before v5");
    publish(device, "jwt/v3", "before v3");
    assertThat(received(inbox, 2)).containsExactlyInAnyOrder("before v5", "before v3");

    // the platform renews the token with one that expires soon, then renews that one in time
    long shortExpiry = System.currentTimeMillis() / 1000 + SHORT_TOKEN_SECONDS;
    renew(shortExpiry);
    Await.until(
        "re-authenticated with the short-lived token",
        Duration.ofSeconds(5),
        () -> instance("up-v5").getLong("reauthenticated") == 1);
    renew(System.currentTimeMillis() / 1000 + 600);
    Await.until(
        "re-authenticated with the renewed token",
        Duration.ofSeconds(5),
        () -> instance("up-v5").getLong("reauthenticated") == 2);
    // past the short-lived token's expiry: a connection still on it would have been ended by now
    long waitMillis = (shortExpiry + 2) * 1000 - System.currentTimeMillis();
    if (waitMillis > 0) {
      Thread.sleep(waitMillis);
    }
    publish(device, "jwt/v5", "after v5");
    publish(device, "jwt/v3", "after v3");
    assertThat(received(inbox, 2)).containsExactlyInAnyOrder("after v5", "after v3");

    JsonObject v5 = instance("up-v5");
    JsonObject v3 = instance("up-v3");
    assertThat(v5.getLong("reauthenticated"))
        .as("MQTT 5: re-authenticated with AUTH on the same connection, twice")
        .isEqualTo(2);
    assertThat(v5.getString("lastError")).as("never ended by the remote").isNull();
    assertThat(v3.getLong("reauthenticated")).as("MQTT 3.1.1 has no AUTH").isZero();
    assertThat(v3.getString("lastError"))
        .as("reconnected with the new token before the remote ended the connection")
        .isNull();
    assertThat(v5.getString("state")).isEqualTo("connected");
    assertThat(v3.getString("state")).isEqualTo("connected");
    device.disconnect();
    app.disconnect();
  }

  /**
   * A remote that refuses the re-authentication ends the connection (MQTT Grid: DISCONNECT 0x87);
   * the bridge connects again with the new token. Here the renewed token is not valid yet when the
   * bridge re-authenticates with it (its "nbf" lies a few seconds ahead; the remote allows no clock
   * skew), and the token before it expires soon after: the dataflow forwarding past that expiry, on
   * a connection the remote did not re-authenticate, is on the new token.
   */
  @Test
  @Order(2)
  void aRefusedReauthenticationEndsInAReconnectWithTheNewToken() throws Exception {
    awaitConnected("up-v5");
    long now = System.currentTimeMillis() / 1000;
    long shortExpiry = now + SHORT_TOKEN_SECONDS;
    renewV5(token(shortExpiry));
    Await.until(
        "re-authenticated with the short-lived token",
        Duration.ofSeconds(5),
        () -> instance("up-v5").getLong("reauthenticated") == 3);
    renewV5(
        signer.sign(
            TestTokens.claims(ISSUER, "edge-bridge", HOST)
                .put("nbf", System.currentTimeMillis() / 1000 + 3)
                .put("exp", now + 600)));
    Await.until(
        "the refused re-authentication reported",
        Duration.ofSeconds(5),
        () -> instance("up-v5").getString("lastError") != null);
    long waitMillis = (shortExpiry + 2) * 1000 - System.currentTimeMillis();
    if (waitMillis > 0) {
      Thread.sleep(waitMillis);
    }
    awaitConnected("up-v5");

    Mqtt3BlockingClient app =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier("cloud-app-2")
            .serverHost("127.0.0.1")
            .serverPort(cloud.mqttPort())
            .buildBlocking();
    Inbox<Mqtt3Publish> inbox = Inbox.of(app);
    app.connectWith()
        .simpleAuth()
        .username("CUSTOM-JWT")
        .password(
            signer
                .sign(TestTokens.claims(ISSUER, "cloud-app-2", HOST))
                .getBytes(StandardCharsets.US_ASCII))
        .applySimpleAuth()
        .send();
    app.subscribeWith().topicFilter("telemetry/v5").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient device = edge.v5("jwt-device-2");
    device.connect();
    publish(device, "jwt/v5", "after the refusal");
    assertThat(received(inbox, 1)).containsExactly("after the refusal");
    JsonObject v5 = instance("up-v5");
    assertThat(v5.getLong("reauthenticated"))
        .as("the refused re-authentication is not counted")
        .isEqualTo(3);
    assertThat(v5.getString("state")).isEqualTo("connected");
    device.disconnect();
    app.disconnect();
  }

  private static void renewV5(String token) throws Exception {
    Path aside = dir.resolve("token-v5.jwt.new");
    Files.writeString(aside, token + "\n");
    Files.move(aside, dir.resolve("token-v5.jwt"), StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Writes a token expiring at {@code exp} aside and moves it over the old one, as a platform
   * would.
   */
  private static void renew(long exp) throws Exception {
    for (String file : new String[] {"token-v5.jwt", "token-v3.jwt"}) {
      Path aside = dir.resolve(file + ".new");
      Files.writeString(aside, token(exp) + "\n");
      Files.move(aside, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static void publish(Mqtt5BlockingClient device, String topic, String text) {
    device
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(text.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static java.util.List<String> received(Inbox<Mqtt3Publish> inbox, int n)
      throws Exception {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new String(inbox.next().getPayloadAsBytes(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static JsonObject instance(String dataflow) throws Exception {
    JsonArray flows = new JsonObject(get("/bridges")).getJsonArray("dataflows");
    for (int i = 0; i < flows.size(); i++) {
      if (flows.getJsonObject(i).getString("name").equals(dataflow)) {
        return flows.getJsonObject(i).getJsonArray("instances").getJsonObject(0);
      }
    }
    throw new AssertionError("no dataflow " + dataflow + " in GET /bridges");
  }

  private static String get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.managementPort() + path))
                .header("Authorization", "Bearer " + ADMIN)
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static void awaitConnected(String... flows) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      boolean all = true;
      for (String f : flows) {
        all &= "connected".equals(instance(f).getString("state"));
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("bridge dataflows not connected within 20 s: " + get("/bridges"));
      }
      Thread.sleep(100);
    }
  }
}
