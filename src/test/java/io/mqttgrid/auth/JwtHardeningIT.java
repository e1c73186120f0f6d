package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.mqttgrid.auth.TokenAndWebhookAuthenticationIT.TokenAuth;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rule for a token on both protocols: MQTT CONNECT (CUSTOM-JWT) and HTTP publish (Bearer)
 * refuse the same second spellings of a token and a {@code crit} header, and apply the same
 * clock-skew leeway ({@code auth.jwt-clock-skew}); a connection let in within the leeway ends when
 * it runs out.
 */
@WithBroker(configMethod = "config")
class JwtHardeningIT {

  static final String ISSUER = "https://issuer.example";
  static final String HOST = "mqtt.example.com";

  /**
   * auth.jwt-clock-skew of the test broker: long enough to connect, subscribe and publish within
   * it.
   */
  static final int LEEWAY = 10;

  static final AtomicInteger IDS = new AtomicInteger();

  @TempDir static Path dir;
  static TestTokens signer;
  static TestBroker broker;
  static Vertx vertx;
  static WebClient web;

  /**
   * The namespace trusts a key made for this run: written to the temporary directory before the
   * broker starts.
   */
  static Map<String, String> config() throws Exception {
    signer = TestTokens.rs256("key1");
    JsonObject namespace =
        new JsonObject()
            .put("settings", signer.customJwtSettings(HOST, ISSUER))
            .put(
                "topicSpaces",
                new JsonObject()
                    .put(
                        "skew-topics",
                        new JsonObject().put("topicTemplates", new JsonArray().add("t/#"))))
            .put(
                "permissionBindings",
                new JsonObject()
                    .put(
                        "all-pub",
                        new JsonObject()
                            .put("clientGroupName", "$all")
                            .put("topicSpaceName", "skew-topics")
                            .put("permission", "Publisher"))
                    .put(
                        "all-sub",
                        new JsonObject()
                            .put("clientGroupName", "$all")
                            .put("topicSpaceName", "skew-topics")
                            .put("permission", "Subscriber")));
    Path file = dir.resolve("namespace.json");
    Files.writeString(file, namespace.encodePrettily());
    return Map.of(
        "namespace.file",
        file.toString(),
        "auth.anonymous",
        "false",
        "auth.jwt-clock-skew",
        String.valueOf(LEEWAY));
  }

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    web = WebClient.create(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  static JsonObject claims(String sub, long exp) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject()
        .put("iss", ISSUER)
        .put("sub", sub)
        .put("aud", HOST)
        .put("iat", now - 120)
        .put("nbf", now - 120)
        .put("exp", exp);
  }

  static String valid(String sub) throws Exception {
    return signer.sign(claims(sub, System.currentTimeMillis() / 1000 + 3600));
  }

  static Mqtt5BlockingClient client(
      String token, CompletableFuture<Mqtt5DisconnectException> disconnected) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier("jwt-" + IDS.incrementAndGet())
        .serverHost("127.0.0.1")
        .serverPort(broker.mqttPort())
        .enhancedAuth(new TokenAuth("CUSTOM-JWT", token))
        .addDisconnectedListener(
            ctx -> {
              if (ctx.getCause() instanceof Mqtt5DisconnectException e) {
                disconnected.complete(e);
              }
            })
        .buildBlocking();
  }

  static void mqttRefuses(String token) {
    Mqtt5BlockingClient c = client(token, new CompletableFuture<>());
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e ->
                assertThat(e.getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
  }

  static void mqttAccepts(String token) {
    Mqtt5BlockingClient c = client(token, new CompletableFuture<>());
    c.connect();
    c.disconnect();
  }

  static HttpResponse<Buffer> httpPublish(String token, String topic, String body)
      throws Exception {
    return web.post(
            broker.httpPort(),
            "127.0.0.1",
            "/mqtt/messages?topic=" + topic.replace("/", "%2F") + "&api-version=2025-02-15-preview")
        .putHeader("Authorization", "Bearer " + token)
        .sendBuffer(Buffer.buffer(body))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  static void httpRefuses(String token) throws Exception {
    HttpResponse<Buffer> r = httpPublish(token, "t/refused", "x");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(401);
  }

  static void httpAccepts(String token) throws Exception {
    HttpResponse<Buffer> r = httpPublish(token, "t/accepted", "x");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  static String padded(String token) {
    return token + "==";
  }

  /** The signature's last character with an unused bit set: the same bytes to a lenient decoder. */
  static String unusedBitSet(String token) {
    return token.substring(0, token.length() - 1)
        + JwtShapeTest.flipLastBit(token.substring(token.length() - 1));
  }

  @Test
  void theCanonicalTokenIsAcceptedOnBothProtocols() throws Exception {
    String token = valid("canonical");
    mqttAccepts(token);
    httpAccepts(token);
  }

  @Test
  void aSignatureWithPaddingIsRefusedOnBothProtocols() throws Exception {
    String token = padded(valid("padded"));
    mqttRefuses(token);
    httpRefuses(token);
  }

  @Test
  void aSignatureWithNonZeroUnusedBitsIsRefusedOnBothProtocols() throws Exception {
    String token = unusedBitSet(valid("unused-bits"));
    mqttRefuses(token);
    httpRefuses(token);
  }

  @Test
  void aCritHeaderIsRefusedOnBothProtocols() throws Exception {
    JsonObject header =
        new JsonObject()
            .put("alg", "RS256")
            .put("typ", "JWT")
            .put("kid", "key1")
            .put("crit", new JsonArray().add("x-must-understand"))
            .put("x-must-understand", true);
    String token = signer.sign(header, claims("crit", System.currentTimeMillis() / 1000 + 3600));
    mqttRefuses(token);
    httpRefuses(token);
  }

  @Test
  void aTokenExpiredLongerThanTheLeewayIsRefusedOnBothProtocols() throws Exception {
    String token = signer.sign(claims("late", System.currentTimeMillis() / 1000 - 3 * LEEWAY));
    mqttRefuses(token);
    httpRefuses(token);
  }

  @Test
  void
      aTokenExpiredWithinTheLeewayIsAcceptedOnBothProtocolsAndTheConnectionEndsWhenTheLeewayRunsOut()
          throws Exception {
    long exp = System.currentTimeMillis() / 1000 - 2;
    long leewayEnds = (exp + LEEWAY) * 1000;
    String token = signer.sign(claims("skewed", exp));

    CompletableFuture<Mqtt5DisconnectException> disconnected = new CompletableFuture<>();
    Mqtt5BlockingClient subscriber = client(token, disconnected);
    subscriber.connect();
    Inbox<Mqtt5Publish> inbox = Inbox.of(subscriber);
    assertThat(
            subscriber
                .subscribeWith()
                .topicFilter("t/skew")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send()
                .getReasonCodes())
        .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
    HttpResponse<Buffer> r = httpPublish(token, "t/skew", "within the leeway");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    assertThat(new String(inbox.next().getPayloadAsBytes(), StandardCharsets.UTF_8))
        .isEqualTo("within the leeway");

    Mqtt5DisconnectException e = disconnected.get(LEEWAY + 10, TimeUnit.SECONDS);
    long endedAt = System.currentTimeMillis();
    assertThat(e.getMqttMessage().getReasonCode())
        .isEqualTo(Mqtt5DisconnectReasonCode.NOT_AUTHORIZED);
    assertThat(endedAt)
        .as("the connection ended at the end of the leeway, not before")
        .isGreaterThanOrEqualTo(leewayEnds);
    httpRefuses(token);
    mqttRefuses(token);
  }
}
