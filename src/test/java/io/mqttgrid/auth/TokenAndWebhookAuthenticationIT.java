package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CUSTOM-JWT (spec section 3.6) and webhook authentication (3.7) through a running broker over TLS,
 * with tokens signed here and a webhook server started here. Two brokers: one with a custom JWT
 * issuer and no webhook, one with a webhook (which then decides every CONNECT that is not a JWT
 * method).
 */
class TokenAndWebhookAuthenticationIT {

  static final String ISSUER = "https://issuer.example";
  static final String HOST = "mqtt.example.com";

  @TempDir static Path dir;
  static TestCertificates server;
  static TestTokens signer;
  static Vertx vertx;
  static HttpServer webhook;
  static TestBroker jwtBroker;
  static int jwtTlsPort;
  static TestBroker hookBroker;
  static int hookTlsPort;

  @BeforeAll
  static void start() throws Exception {
    server = TestCertificates.selfSignedServer(dir);
    signer = TestTokens.rs256("key1");
    vertx = Vertx.vertx();
    // the webhook decides by user name: allow-*, deny-*, slow-* (never answers), broken-* (HTTP
    // 500)
    webhook =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              String user = body.toJsonObject().getString("userName", "");
                              if (user.startsWith("allow")) {
                                req.response()
                                    .end(
                                        new JsonObject()
                                            .put("decision", "allow")
                                            .put("clientAuthenticationName", user)
                                            .encode());
                              } else if (user.startsWith("deny")) {
                                req.response()
                                    .end(
                                        new JsonObject()
                                            .put("decision", "deny")
                                            .put("errorReason", "not on the list")
                                            .encode());
                              } else if (user.startsWith("broken")) {
                                req.response().setStatusCode(500).end();
                              }
                            })
                        .onFailure(
                            reset -> {
                              // the broker gave up on a slow-* request and reset it
                            }));
    int hookPort =
        webhook
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .actualPort();

    JsonObject jwtNamespace =
        new JsonObject().put("settings", signer.customJwtSettings(HOST, ISSUER));
    JsonObject hookNamespace =
        new JsonObject()
            .put(
                "settings",
                new JsonObject()
                    .put("hostname", HOST)
                    .put(
                        "clientAuthentication",
                        new JsonObject()
                            .put(
                                "webhookAuthentication",
                                new JsonObject()
                                    .put(
                                        "endpointUrl",
                                        "http://127.0.0.1:" + hookPort + "/api/mqtt-auth")
                                    .put("timeoutInSeconds", 1)
                                    .put("cacheTtlInSeconds", 0))));
    jwtTlsPort = TestBroker.freePort();
    jwtBroker = startBroker("jwt.json", jwtNamespace, jwtTlsPort);
    hookTlsPort = TestBroker.freePort();
    hookBroker = startBroker("hook.json", hookNamespace, hookTlsPort);
  }

  static TestBroker startBroker(String fileName, JsonObject namespace, int tlsPort)
      throws Exception {
    Path file = dir.resolve(fileName);
    Files.writeString(file, namespace.encodePrettily());
    return TestBroker.start(
        Map.of(
            "tls.cert-file",
            server.certFile.toString(),
            "tls.key-file",
            server.keyFile.toString(),
            "mqtt.tls-port",
            String.valueOf(tlsPort),
            "mqtt.wss-port",
            String.valueOf(TestBroker.freePort()),
            "namespace.file",
            file.toString(),
            "auth.anonymous",
            "false"));
  }

  @AfterAll
  static void stop() throws Exception {
    jwtBroker.close();
    hookBroker.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Single-step enhanced authentication: the method and the token in CONNECT, no AUTH exchange. */
  record TokenAuth(String method, String token) implements Mqtt5EnhancedAuthMechanism {
    @Override
    public MqttUtf8String getMethod() {
      return MqttUtf8String.of(method);
    }

    @Override
    public int getTimeout() {
      return 10;
    }

    @Override
    public CompletableFuture<Void> onAuth(
        Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder auth) {
      auth.data(token.getBytes(StandardCharsets.UTF_8));
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder auth) {
      auth.data(token.getBytes(StandardCharsets.UTF_8));
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> onContinue(
        Mqtt5ClientConfig config, Mqtt5Auth auth, Mqtt5AuthBuilder builder) {
      return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletableFuture<Boolean> onAuthSuccess(
        Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {}

    @Override
    public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {}

    @Override
    public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {}

    @Override
    public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {}
  }

  Mqtt5BlockingClient v5(int port, String clientId, String username, TokenAuth token)
      throws Exception {
    var builder =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .sslConfig()
            .trustManagerFactory(server.trustManagerFactory())
            .applySslConfig();
    if (username != null) {
      builder =
          builder.simpleAuth().username(username).password("secret".getBytes()).applySimpleAuth();
    }
    if (token != null) {
      builder = builder.enhancedAuth(token);
    }
    return builder.buildBlocking();
  }

  Mqtt3BlockingClient v3(int port, String clientId, String username, String password)
      throws Exception {
    return MqttClient.builder()
        .useMqttVersion3()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(port)
        .sslConfig()
        .trustManagerFactory(server.trustManagerFactory())
        .applySslConfig()
        .simpleAuth()
        .username(username)
        .password(password.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .buildBlocking();
  }

  static void refusedWith(Mqtt5BlockingClient c, Mqtt5ConnAckReasonCode code) {
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            Mqtt5ConnAckException.class,
            e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(code));
  }

  static void refusedWith(Mqtt3BlockingClient c, Mqtt3ConnAckReturnCode code) {
    assertThatThrownBy(c::connect)
        .isInstanceOfSatisfying(
            Mqtt3ConnAckException.class,
            e -> assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(code));
  }

  static String token(JsonObject claims) throws Exception {
    return signer.sign(claims);
  }

  @Test
  void aValidCustomJwtConnectsOverTlsWithoutAClientCertificate() throws Exception {
    Mqtt5BlockingClient c =
        v5(
            jwtTlsPort,
            "jwt-1",
            null,
            new TokenAuth("CUSTOM-JWT", token(TestTokens.claims(ISSUER, "device-1", HOST))));
    c.connect();
    c.disconnect();
  }

  @Test
  void badTokensAreNotAuthorized() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    JsonObject good = TestTokens.claims(ISSUER, "device-2", HOST);
    refusedWith(
        v5(jwtTlsPort, "bad-1", null, new TokenAuth("CUSTOM-JWT", TestTokens.unsigned(good, ""))),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    refusedWith(
        v5(
            jwtTlsPort,
            "bad-2",
            null,
            new TokenAuth("CUSTOM-JWT", TestTokens.rs256("key1").sign(good))),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    refusedWith(
        v5(
            jwtTlsPort,
            "bad-3",
            null,
            new TokenAuth("CUSTOM-JWT", token(good.copy().put("iss", "https://evil.example")))),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    refusedWith(
        v5(
            jwtTlsPort,
            "bad-4",
            null,
            new TokenAuth("CUSTOM-JWT", token(good.copy().put("exp", now - 3600)))),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    refusedWith(
        v5(
            jwtTlsPort,
            "bad-5",
            null,
            new TokenAuth("CUSTOM-JWT", token(good.copy().put("aud", "evil.example")))),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
  }

  @Test
  void anUnknownAuthenticationMethodIsBadAuthenticationMethod() throws Exception {
    refusedWith(
        v5(jwtTlsPort, "m-1", null, new TokenAuth("SCRAM-SHA-256", "x")),
        Mqtt5ConnAckReasonCode.BAD_AUTHENTICATION_METHOD);
    refusedWith(
        v5(
            jwtTlsPort,
            "m-2",
            null,
            new TokenAuth("OAUTH2-JWT", token(TestTokens.claims(ISSUER, "device-1", HOST)))),
        Mqtt5ConnAckReasonCode.BAD_AUTHENTICATION_METHOD);
  }

  @Test
  void mqtt311ClientsSendTheTokenAsPasswordUnderUserNameCustomJwt() throws Exception {
    Mqtt3BlockingClient ok =
        v3(jwtTlsPort, "v3-jwt-1", "CUSTOM-JWT", token(TestTokens.claims(ISSUER, "d3", HOST)));
    ok.connect();
    ok.disconnect();
    refusedWith(
        v3(
            jwtTlsPort,
            "v3-jwt-2",
            "CUSTOM-JWT",
            TestTokens.unsigned(TestTokens.claims(ISSUER, "d3", HOST), "")),
        Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
  }

  @Test
  void theWebhookAllowsAndDenies() throws Exception {
    Mqtt5BlockingClient allowed = v5(hookTlsPort, "hook-1", "allow-me", null);
    allowed.connect();
    allowed.disconnect();
    refusedWith(v5(hookTlsPort, "hook-2", "deny-me", null), Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    refusedWith(v3(hookTlsPort, "hook-3", "deny-me", "pw"), Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
    Mqtt3BlockingClient v3allowed = v3(hookTlsPort, "hook-4", "allow-v3", "pw");
    v3allowed.connect();
    v3allowed.disconnect();
  }

  @Test
  void aWebhookThatTimesOutOrFailsMakesTheServerUnavailable() throws Exception {
    refusedWith(
        v5(hookTlsPort, "slow-1", "slow-me", null), Mqtt5ConnAckReasonCode.SERVER_UNAVAILABLE);
    refusedWith(
        v5(hookTlsPort, "broken-1", "broken-me", null), Mqtt5ConnAckReasonCode.SERVER_UNAVAILABLE);
    refusedWith(
        v3(hookTlsPort, "slow-2", "slow-me", "pw"), Mqtt3ConnAckReturnCode.SERVER_UNAVAILABLE);
  }

  @Test
  void withAWebhookAnUnknownMethodGoesToTheWebhook() throws Exception {
    refusedWith(
        v5(hookTlsPort, "hm-1", "deny-x", new TokenAuth("SCRAM-SHA-256", "x")),
        Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
  }
}
