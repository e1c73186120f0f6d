package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token lifetime on a live connection (spec sections 3.5, 3.6, 3.8): MQTT 5 re-authentication with
 * AUTH 0x19 and a fresh token, and the end of a connection whose token expires without one.
 */
@WithBroker(configMethod = "brokerConfig")
class ReauthenticationIT {

  private static final String ISSUER = "https://issuer.reauth.example";
  private static final String HOST = "mqtt.reauth.example";
  private static final int REAUTHENTICATE = 0x19;
  private static final int METHOD = 0x15;
  private static final int DATA = 0x16;
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  static TestTokens signer;
  static TestBroker broker;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    signer = TestTokens.rs256("key1");
    JsonObject namespace =
        new JsonObject()
            .put("settings", signer.customJwtSettings(HOST, ISSUER))
            .put(
                "topicSpaces",
                new JsonObject()
                    .put(
                        "own",
                        new JsonObject()
                            .put(
                                "topicTemplates",
                                new JsonArray().add("devices/${client.authenticationName}/#"))))
            .put(
                "permissionBindings",
                new JsonObject()
                    .put(
                        "own-pub",
                        new JsonObject()
                            .put("clientGroupName", "$all")
                            .put("topicSpaceName", "own")
                            .put("permission", "Publisher")));
    Path file = dir.resolve("namespace.json");
    Files.writeString(file, namespace.encodePrettily());
    // no clock-skew leeway: a token's connection ends at its exp, within this test's waits
    return Map.of(
        "namespace.file", file.toString(), "auth.anonymous", "false", "auth.jwt-clock-skew", "0");
  }

  private static String token(String subject, long expiresInSeconds) throws Exception {
    JsonObject claims = TestTokens.claims(ISSUER, subject, HOST);
    return signer.sign(claims.put("exp", System.currentTimeMillis() / 1000 + expiresInSeconds));
  }

  private static Props jwt(String token) {
    return new Props()
        .string(METHOD, "CUSTOM-JWT")
        .binary(DATA, token.getBytes(StandardCharsets.US_ASCII));
  }

  private static RawMqttClient connect(String clientId, String token) throws Exception {
    RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect(clientId).properties(jwt(token)));
    assertThat(c.connack().reasonCode()).isZero();
    return c;
  }

  private static void publishes(RawMqttClient c, String topic, int expectedReason)
      throws Exception {
    c.publish(topic, "x", 1, false, 7, null);
    Packet ack = c.readUntil(RawMqttClient.PUBACK, WAIT);
    // packet id, then the reason code (absent means success)
    assertThat(ack.body().length > 2 ? ack.body()[2] & 0xFF : 0).isEqualTo(expectedReason);
  }

  @Test
  void aFreshTokenOfTheSameIdentityIsAcceptedWithAuthSuccess() throws Exception {
    try (RawMqttClient c = connect("reauth-ok", token("device-1", 600))) {
      c.auth(REAUTHENTICATE, jwt(token("device-1", 1200)));
      Packet auth = c.readUntil(RawMqttClient.AUTH, WAIT);
      assertThat(auth.body()[0]).as("AUTH reason code: success").isZero();
      assertThat(auth.propertyValues(METHOD))
          .as("MQTT 3.15.2.2.2: the method is named")
          .containsExactly("CUSTOM-JWT");
      publishes(c, "devices/device-1/t", 0x10); // still authorized (nobody subscribed: 0x10)
    }
  }

  @Test
  void aTokenOfAnotherIdentityOrAnExpiredOneEndsTheConnection() throws Exception {
    try (RawMqttClient c = connect("reauth-other", token("device-1", 600))) {
      c.auth(REAUTHENTICATE, jwt(token("device-2", 600)));
      assertThat(c.readUntil(RawMqttClient.DISCONNECT, WAIT).reasonCode()).isEqualTo(0x87);
    }
    try (RawMqttClient c = connect("reauth-expired", token("device-1", 600))) {
      c.auth(REAUTHENTICATE, jwt(token("device-1", -3600)));
      assertThat(c.readUntil(RawMqttClient.DISCONNECT, WAIT).reasonCode()).isEqualTo(0x87);
    }
    try (RawMqttClient c = connect("reauth-method", token("device-1", 600))) {
      c.auth(REAUTHENTICATE, new Props().string(METHOD, "OTHER").binary(DATA, new byte[] {1}));
      assertThat(c.readUntil(RawMqttClient.DISCONNECT, WAIT).reasonCode())
          .as("MQTT-4.12.1-1")
          .isEqualTo(0x82);
    }
  }

  @Test
  void aTokenThatExpiresWithoutRenewalEndsTheConnectionAndARenewalKeepsItOpen() throws Exception {
    try (RawMqttClient expiring = connect("expiring", token("device-3", 2));
        RawMqttClient renewed = connect("renewed", token("device-4", 2))) {
      renewed.auth(REAUTHENTICATE, jwt(token("device-4", 600)));
      assertThat(renewed.readUntil(RawMqttClient.AUTH, WAIT).body()[0]).isZero();
      assertThat(expiring.readUntil(RawMqttClient.DISCONNECT, WAIT).reasonCode())
          .as("DISCONNECT 0x87 when the token expires")
          .isEqualTo(0x87);
      publishes(renewed, "devices/device-4/t", 0x10);
    }
  }
}
