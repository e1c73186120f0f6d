package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Filter;
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
 * OAUTH2-JWT principals through a running broker (spec section 3.5): the token's object id names
 * the principal, and role assignments (standing in for Azure RBAC) grant it topic spaces, one or
 * all.
 */
@WithBroker(configMethod = "brokerConfig")
class RoleAssignmentIT {

  private static final String ISSUER = "https://login.example/tenant-1/v2.0";
  private static final String AUDIENCE = "https://eventgrid.azure.net/";
  private static final String WRITER = "5f0c3a8e-1111-4c1e-9a53-0a1b2c3d4e5f";
  private static final String READER = "7d2e4b9f-2222-4c1e-9a53-0a1b2c3d4e5f";
  private static final String NOBODY = "9a4f6c1d-3333-4c1e-9a53-0a1b2c3d4e5f";
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  static TestTokens entra;
  static TestBroker broker;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    entra = TestTokens.rs256("entra-key");
    JsonObject namespace =
        new JsonObject()
            .put(
                "settings",
                new JsonObject()
                    .put(
                        "clientAuthentication",
                        new JsonObject()
                            .put(
                                "oauth2JwtAuthentication",
                                new JsonObject()
                                    .put("tokenIssuer", ISSUER)
                                    .put(
                                        "encodedIssuerCertificates",
                                        new JsonArray()
                                            .add(
                                                new JsonObject()
                                                    .put("kid", "entra-key")
                                                    .put(
                                                        "encodedCertificate",
                                                        entra.publicKeyPem()))))))
            .put(
                "topicSpaces",
                new JsonObject()
                    .put(
                        "telemetry",
                        new JsonObject().put("topicTemplates", new JsonArray().add("telemetry/#")))
                    .put(
                        "commands",
                        new JsonObject().put("topicTemplates", new JsonArray().add("commands/#"))))
            .put(
                "roleAssignments",
                new JsonObject()
                    .put(
                        "writer-telemetry",
                        new JsonObject()
                            .put("principalId", WRITER)
                            .put("role", "EventGrid TopicSpaces Publisher")
                            .put("topicSpaceName", "telemetry"))
                    .put(
                        "reader-all",
                        new JsonObject()
                            .put("principalId", READER)
                            .put("role", "EventGrid TopicSpaces Subscriber")));
    Path file = dir.resolve("namespace.json");
    Files.writeString(file, namespace.encodePrettily());
    return Map.of("namespace.file", file.toString(), "auth.anonymous", "false");
  }

  private static RawMqttClient connect(String clientId, String oid) throws Exception {
    JsonObject claims = TestTokens.claims(ISSUER, "subject-" + oid, AUDIENCE).put("oid", oid);
    Props auth =
        new Props()
            .string(0x15, "OAUTH2-JWT")
            .binary(0x16, entra.sign(claims).getBytes(StandardCharsets.US_ASCII));
    RawMqttClient c =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect(clientId).properties(auth));
    assertThat(c.connack().reasonCode()).isZero();
    return c;
  }

  private static int pubackReason(RawMqttClient c, String topic) throws Exception {
    c.publish(topic, "x", 1, false, 3, null);
    byte[] body = c.readUntil(RawMqttClient.PUBACK, WAIT).body();
    return body.length > 2 ? body[2] & 0xFF : 0;
  }

  private static int subackReason(RawMqttClient c, String filter) throws Exception {
    c.subscribe(5, null, Filter.of(filter, 1));
    return c.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes().get(0);
  }

  @Test
  void roleAssignmentsGrantTheirScopeToThePrincipalNamedByTheObjectId() throws Exception {
    try (RawMqttClient reader = connect("reader-session", READER);
        RawMqttClient writer = connect("writer-session", WRITER);
        RawMqttClient nobody = connect("nobody-session", NOBODY)) {
      // namespace scope: every topic space
      assertThat(subackReason(reader, "telemetry/#")).isEqualTo(1);
      assertThat(subackReason(reader, "commands/#")).isEqualTo(1);
      assertThat(pubackReason(reader, "telemetry/x")).as("no Publisher role").isEqualTo(0x87);
      // one topic space
      assertThat(pubackReason(writer, "telemetry/t1")).isZero();
      assertThat(pubackReason(writer, "commands/c1")).isEqualTo(0x87);
      assertThat(subackReason(writer, "telemetry/#")).as("no Subscriber role").isEqualTo(0x87);
      assertThat(reader.readUntil(RawMqttClient.PUBLISH, WAIT).topic()).isEqualTo("telemetry/t1");
      // a valid token, but no role: default deny
      assertThat(pubackReason(nobody, "telemetry/x")).isEqualTo(0x87);
      assertThat(subackReason(nobody, "telemetry/#")).isEqualTo(0x87);
    }
  }

  @Test
  void aTokenForAnotherAudienceIsRefused() throws Exception {
    JsonObject claims =
        TestTokens.claims(ISSUER, "s", "https://someone-else.example").put("oid", WRITER);
    Props auth =
        new Props()
            .string(0x15, "OAUTH2-JWT")
            .binary(0x16, entra.sign(claims).getBytes(StandardCharsets.US_ASCII));
    try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
      c.send(new Connect("wrong-aud").properties(auth).encode(5));
      assertThat(c.readUntil(RawMqttClient.CONNACK, WAIT).reasonCode()).isEqualTo(0x87);
    }
  }
}
