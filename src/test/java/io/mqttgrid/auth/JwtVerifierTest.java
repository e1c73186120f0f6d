package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.NamespaceSettings.IssuerCertificate;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JWT checks of one issuer without a broker: RS256 and ES256 signatures by configured keys or a
 * JWKS document, exp/nbf with the leeway, audience and issuer, and the refusals (alg none, HS256
 * signed with the public key, a foreign key). The canonical-base64url and crit checks are
 * JwtShapeTest's.
 */
class JwtVerifierTest {

  static final String ISS = "https://issuer.test";
  static final String AUD = "broker.test";
  static final int LEEWAY = 30;

  static Vertx vertx;
  static HttpClient http;
  static TestTokens rs256;
  static TestTokens es256;
  static TestTokens stranger;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    rs256 = TestTokens.rs256("rsa-1");
    es256 = TestTokens.es256("ec-1");
    stranger = TestTokens.rs256("rsa-1"); // same kid, other key
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static JwtVerifier verifier(TestTokens... trusted) {
    List<IssuerCertificate> certs =
        java.util.Arrays.stream(trusted)
            .map(t -> new IssuerCertificate(t.kid, t.publicKeyPem()))
            .toList();
    return new JwtVerifier(
        vertx,
        http,
        new JwtIssuer(ISS, List.of(AUD), certs, null),
        List.of(AUD, "other.aud"),
        LEEWAY);
  }

  static JwtVerifier.Check check(JwtVerifier v, String token) throws Exception {
    return v.verify(token).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static JsonObject claims() {
    return TestTokens.claims(ISS, "device-1", AUD);
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  @Test
  void rs256AndEs256TokensOfConfiguredKeysPass() throws Exception {
    JwtVerifier v = verifier(rs256, es256);
    for (TestTokens t : List.of(rs256, es256)) {
      JsonObject claims = claims();
      JwtVerifier.Check c = check(v, t.sign(claims));
      assertThat(c.refusal()).as(t.alg).isNull();
      assertThat(c.claims().getString("sub")).isEqualTo("device-1");
      // valid until exp plus the leeway
      assertThat(c.validUntilMillis()).isEqualTo((claims.getLong("exp") + LEEWAY) * 1000);
    }
  }

  @Test
  void aTokenSignedByAnotherKeyIsRefused() throws Exception {
    JwtVerifier.Check c = check(verifier(rs256), stranger.sign(claims()));
    assertThat(c.claims()).isNull();
    assertThat(c.refusal()).isNotNull();
    assertThat(c.unavailable()).isFalse();
    // nor does an ES256 token verify against an RSA key, or the other way round
    assertThat(
            check(verifier(rs256), TestTokens.of(es256.keys, "ES256", "rsa-1").sign(claims()))
                .claims())
        .isNull();
  }

  @Test
  void algNoneIsRefused() throws Exception {
    JwtVerifier v = verifier(rs256);
    assertThat(check(v, TestTokens.unsigned(claims(), "")).refusal())
        .contains("'none' is not accepted");
    assertThat(check(v, TestTokens.unsigned(claims(), "c2ln")).refusal())
        .contains("'none' is not accepted");
  }

  @Test
  void hs256WithThePublicKeyAsSecretIsRefused() throws Exception {
    JwtVerifier v = verifier(rs256);
    String confused = TestTokens.hmacWithPublicKey(claims(), rs256.publicKeyPem());
    assertThat(check(v, confused).refusal()).contains("'HS256' is not accepted");
  }

  @Test
  void expiryCountsWithTheLeeway() throws Exception {
    JwtVerifier v = verifier(rs256);
    JsonObject lately = claims().put("exp", now() - LEEWAY / 2);
    assertThat(check(v, rs256.sign(lately)).refusal()).isNull();
    JsonObject expired = claims().put("exp", now() - LEEWAY - 5);
    assertThat(check(v, rs256.sign(expired)).refusal()).contains("expired");
  }

  @Test
  void aTokenWithoutExpIsRefused() throws Exception {
    JsonObject noExp = claims();
    noExp.remove("exp");
    assertThat(check(verifier(rs256), rs256.sign(noExp)).refusal()).contains("no exp");
  }

  @Test
  void notBeforeCountsWithTheLeeway() throws Exception {
    JwtVerifier v = verifier(rs256);
    assertThat(check(v, rs256.sign(claims().put("nbf", now() + LEEWAY / 2))).refusal()).isNull();
    assertThat(check(v, rs256.sign(claims().put("nbf", now() + LEEWAY + 60))).refusal())
        .isNotNull();
  }

  @Test
  void theAudienceMustNameOneAcceptedAudience() throws Exception {
    JwtVerifier v = verifier(rs256);
    assertThat(
            check(v, rs256.sign(claims().put("aud", new JsonArray().add("x").add("other.aud"))))
                .refusal())
        .isNull();
    assertThat(check(v, rs256.sign(claims().put("aud", "someone.else"))).refusal())
        .contains("audience");
  }

  @Test
  void theIssuerMustMatchExactly() throws Exception {
    JwtVerifier v = verifier(rs256);
    assertThat(check(v, rs256.sign(claims().put("iss", ISS + "/"))).claims()).isNull();
    assertThat(check(v, rs256.sign(claims().put("iss", "https://evil.test"))).refusal())
        .isNotNull();
  }

  @Test
  void garbageIsNoJwt() throws Exception {
    JwtVerifier v = verifier(rs256);
    assertThat(check(v, "").refusal()).isEqualTo("no token");
    assertThat(check(v, "a.b.c").refusal()).isEqualTo("not a signed JWT");
    assertThat(check(v, "x".repeat(JwtVerifier.MAX_TOKEN_BYTES + 1)).refusal())
        .contains("longer than");
  }

  @Test
  void anIssuerWithoutUsableKeyRefusesEverything() throws Exception {
    JwtVerifier v =
        new JwtVerifier(
            vertx,
            http,
            new JwtIssuer(
                ISS, List.of(AUD), List.of(new IssuerCertificate("k", "not a pem")), null),
            List.of(AUD),
            0);
    JwtVerifier.Check c = check(v, rs256.sign(claims()));
    assertThat(c.claims()).isNull();
    assertThat(c.refusal()).contains("no usable");
  }

  @Test
  void keysComeFromTheJwksDocumentAndItsOutageIsUnavailable() throws Exception {
    AtomicReference<JsonObject> document = new AtomicReference<>(TestTokens.jwks(es256));
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  JsonObject doc = document.get();
                  if (doc == null) {
                    req.response().setStatusCode(503).end();
                  } else {
                    req.response().putHeader("Content-Type", "application/json").end(doc.encode());
                  }
                })
            .listen(0, "127.0.0.1")
            .await();
    // a client of its own: the class's shared one may keep a pooled connection to an earlier test's
    // server on the same ephemeral port, closed meanwhile (a full run once failed the first fetch
    // here within 18 ms)
    HttpClient own = vertx.createHttpClient();
    try {
      String url = "http://127.0.0.1:" + server.actualPort() + "/keys";
      JwtVerifier v =
          new JwtVerifier(
              vertx, own, new JwtIssuer(ISS, List.of(AUD), List.of(), url), List.of(AUD), LEEWAY);
      assertThat(check(v, es256.sign(claims())).refusal()).isNull();
      assertThat(check(v, rs256.sign(claims())).claims()).isNull();

      document.set(null);
      JwtVerifier down =
          new JwtVerifier(
              vertx, own, new JwtIssuer(ISS, List.of(AUD), List.of(), url), List.of(AUD), LEEWAY);
      JwtVerifier.Check c = check(down, es256.sign(claims()));
      assertThat(c.claims()).isNull();
      assertThat(c.unavailable()).isTrue();
    } finally {
      own.close().await();
      server.close().await();
    }
  }

  @Test
  void symmetricAndForeignCurveKeysOfAJwksAreNotUsed() {
    JsonArray keys =
        new JsonArray()
            .add(new JsonObject().put("kty", "oct").put("k", "c2VjcmV0").put("alg", "HS256"))
            .add(new JsonObject().put("kty", "EC").put("crv", "P-384").put("x", "a").put("y", "b"))
            .add(
                new JsonObject().put("kty", "RSA").put("use", "enc").put("n", "a").put("e", "AQAB"))
            .add(rs256.jwk())
            .add(es256.jwk());
    assertThat(JwtVerifier.usableKeys(keys))
        .extracting(k -> k.getString("kid"))
        .containsExactly("rsa-1", "ec-1");
  }
}
