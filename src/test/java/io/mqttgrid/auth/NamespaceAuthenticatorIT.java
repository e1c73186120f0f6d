package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.CaCertificate;
import io.mqttgrid.access.ClientIdentity.Authority;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.ClientResource.ValidationScheme;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.access.NamespaceSettings;
import io.mqttgrid.access.NamespaceSettings.AlternativeNameSource;
import io.mqttgrid.access.NamespaceSettings.IssuerCertificate;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.mqttgrid.access.NamespaceSettings.Webhook;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.auth.AuthResult.Outcome;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.TestCertificates.Issued;
import io.mqttgrid.testing.TestCertificates.Spec;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NamespaceAuthenticator} driven directly with a model built here, real tokens signed here,
 * and a real HTTP server for the JWKS documents and the authentication webhook. The TLS path is
 * covered by the {@code *AuthenticationIT} classes against a running broker.
 */
class NamespaceAuthenticatorIT {

  static final String ISSUER = "https://issuer.example";
  static final String ENTRA = "https://login.example/tenant/v2.0";
  static final String HOST = "mqtt.example.com";

  static Vertx vertx;
  static HttpServer server;
  static int port;
  static volatile Consumer<HttpServerRequest> webhookHandler;
  static volatile JsonObject jwksDocument = new JsonObject().put("keys", new JsonArray());
  static final AtomicInteger jwksFetches = new AtomicInteger();
  static final AtomicInteger webhookCalls = new AtomicInteger();
  static TestTokens rsa;
  static TestTokens ec;
  static TestTokens stranger;

  final AtomicReference<NamespaceModel> model = new AtomicReference<>(NamespaceModel.EMPTY);
  NamespaceAuthenticator authenticator;

  @BeforeAll
  static void start() throws Exception {
    rsa = TestTokens.rs256("key1");
    ec = TestTokens.es256("key2");
    stranger = TestTokens.rs256("key1");
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  if (req.path().equals("/jwks")) {
                    jwksFetches.incrementAndGet();
                    req.response()
                        .putHeader("Content-Type", "application/json")
                        .end(jwksDocument.encode());
                  } else if (req.path().equals("/auth")) {
                    webhookCalls.incrementAndGet();
                    webhookHandler.accept(req);
                  } else {
                    req.response().setStatusCode(404).end();
                  }
                });
    port = await(server.listen(0, "127.0.0.1")).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  @BeforeEach
  void authenticator() {
    authenticator =
        new NamespaceAuthenticator(
            model::get, vertx, new AnonymousAuthenticator(AnonymousAuthenticator.Access.DENY), 60);
    jwksFetches.set(0);
    webhookCalls.set(0);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- fixtures

  static NamespaceSettings settings(
      JwtIssuer custom,
      JwtIssuer oauth2,
      Webhook webhook,
      boolean passwords,
      List<AlternativeNameSource> sources) {
    return new NamespaceSettings(
        HOST, 1, 1, sources, custom, oauth2, webhook, passwords, RoutingSettings.NONE);
  }

  static JwtIssuer customIssuer(List<String> audiences, IssuerCertificate... certificates) {
    return new JwtIssuer(ISSUER, audiences, List.of(certificates), null);
  }

  void use(NamespaceSettings settings, ClientResource... clients) {
    use(settings, List.of(), clients);
  }

  void use(NamespaceSettings settings, List<CaCertificate> cas, ClientResource... clients) {
    model.set(
        new NamespaceModel(
            settings, List.of(clients), List.of(), List.of(), List.of(), cas, List.of()));
  }

  static ClientResource client(
      String name,
      ValidationScheme scheme,
      List<String> thumbprints,
      boolean enabled,
      String passwordHash) {
    return new ClientResource(
        name,
        name,
        null,
        enabled,
        scheme,
        thumbprints,
        Map.of("room", "345", "floor", 3L),
        passwordHash);
  }

  static Credentials v5(String clientId, String method, String data) {
    return new Credentials(
        clientId,
        null,
        null,
        method,
        data == null ? null : data.getBytes(StandardCharsets.UTF_8),
        "10.1.2.3",
        false,
        List.of());
  }

  static Credentials withPassword(String clientId, String username, String password) {
    return new Credentials(
        clientId,
        username,
        password == null ? null : password.getBytes(StandardCharsets.UTF_8),
        null,
        null,
        "10.1.2.3",
        false,
        List.of());
  }

  static Credentials withCertificate(
      String clientId, String username, List<X509Certificate> chain) {
    return new Credentials(clientId, username, null, null, null, "10.1.2.3", false, chain);
  }

  AuthResult connect(Credentials c) throws Exception {
    return await(authenticator.authenticate(c));
  }

  AuthResult customJwt(String token) throws Exception {
    return connect(v5("c1", "CUSTOM-JWT", token));
  }

  // ---------------------------------------------------------------- CUSTOM-JWT

  @Test
  void aCustomJwtNamesTheClientBySubAndCarriesItsClaimsAsAttributes() throws Exception {
    use(
        settings(
            customIssuer(List.of(), new IssuerCertificate("key1", rsa.publicKeyPem())),
            null,
            null,
            false,
            List.of()));
    JsonObject claims =
        TestTokens.claims(ISSUER, "device-1", HOST)
            .put("room", "345")
            .put("floor", 3)
            .put("deviceTypes", new JsonArray().add("Fan").add("Light"))
            .put("admin", true)
            .put("ratio", 0.5);
    AuthResult r = customJwt(rsa.sign(claims));
    assertThat(r.outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(r.identity().authenticationName()).isEqualTo("device-1");
    assertThat(r.identity().authority()).isEqualTo(Authority.CUSTOM_JWT);
    assertThat(r.identity().attributes())
        .containsOnly(
            Map.entry("room", "345"),
            Map.entry("floor", 3L),
            Map.entry("deviceTypes", List.of("Fan", "Light")));
    assertThat(r.identity().expiresAtMillis())
        .as("valid until exp plus the 60 s leeway")
        .isEqualTo((claims.getLong("exp") + 60) * 1000);
  }

  @Test
  void es256KeysFromPemCertificatesWorkWithAndWithoutKid() throws Exception {
    Issued certificate = TestCertificates.selfSigned(new Spec("CN=issuer"));
    TestTokens certKey =
        TestTokens.of(
            new java.security.KeyPair(certificate.certificate.getPublicKey(), certificate.key),
            "ES256",
            null);
    use(
        settings(
            customIssuer(
                List.of(),
                new IssuerCertificate("key2", ec.publicKeyPem()),
                new IssuerCertificate(null, certificate.pem())),
            null,
            null,
            false,
            List.of()));
    assertThat(customJwt(ec.sign(TestTokens.claims(ISSUER, "ec-device", HOST))).isAllowed())
        .isTrue();
    AuthResult viaCertificate =
        customJwt(certKey.sign(TestTokens.claims(ISSUER, "cert-device", List.of(HOST))));
    assertThat(viaCertificate.isAllowed()).as(viaCertificate.detail()).isTrue();
  }

  @Test
  void customJwtRefusals() throws Exception {
    use(
        settings(
            customIssuer(List.of(), new IssuerCertificate("key1", rsa.publicKeyPem())),
            null,
            null,
            false,
            List.of()));
    long now = System.currentTimeMillis() / 1000;
    JsonObject good = TestTokens.claims(ISSUER, "device-1", HOST);
    assertThat(customJwt(rsa.sign(good)).isAllowed()).isTrue();

    assertRefused(customJwt(rsa.sign(good.copy().put("iss", "https://other.example"))), "issuer");
    assertRefused(customJwt(rsa.sign(good.copy().put("aud", "other.example.com"))), "audience");
    assertRefused(customJwt(rsa.sign(good.copy().put("exp", now - 600))), "expired");
    assertRefused(customJwt(rsa.sign(good.copy().put("nbf", now + 600))), "not yet valid");
    assertRefused(customJwt(rsa.sign(good.copy().put("iat", now + 600))), "not yet valid");
    assertRefused(customJwt(rsa.sign(good.copy().put("exp", "tomorrow"))), null);
    JsonObject noExp = good.copy();
    noExp.remove("exp");
    assertRefused(customJwt(rsa.sign(noExp)), "exp");
    JsonObject noSub = good.copy();
    noSub.remove("sub");
    assertRefused(customJwt(rsa.sign(noSub)), "sub");
    assertRefused(customJwt(stranger.sign(good)), "signature");
    assertRefused(customJwt(TestTokens.unsigned(good, "")), "none");
    assertRefused(customJwt(TestTokens.unsigned(good, "c2ln")), "none");
    assertRefused(customJwt(TestTokens.hmacWithPublicKey(good, rsa.publicKeyPem())), "HS256");
    assertRefused(customJwt(rsa.sign(good.copy().put("padding", "x".repeat(9000)))), "8192");
    assertRefused(customJwt("not a token"), null);
    assertRefused(customJwt(null), null);
    // a token whose signature is moved onto other claims
    String token = rsa.sign(good);
    String[] parts = token.split("\\.");
    String forged =
        parts[0]
            + "."
            + TestTokens.b64(good.copy().put("sub", "admin").encode().getBytes())
            + "."
            + parts[2];
    assertRefused(customJwt(forged), "signature");
  }

  @Test
  void audienceDefaultsToTheHostnameAndCanBeConfigured() throws Exception {
    use(
        settings(
            customIssuer(
                List.of("api://grid", "other"), new IssuerCertificate("key1", rsa.publicKeyPem())),
            null,
            null,
            false,
            List.of()));
    assertThat(
            customJwt(rsa.sign(TestTokens.claims(ISSUER, "d", List.of("x", "api://grid"))))
                .isAllowed())
        .isTrue();
    assertRefused(customJwt(rsa.sign(TestTokens.claims(ISSUER, "d", HOST))), "audience");
  }

  @Test
  void anIssuerWithoutUsableKeysAcceptsNothing() throws Exception {
    use(
        settings(
            customIssuer(
                List.of(),
                new IssuerCertificate(
                    "bad", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")),
            null,
            null,
            false,
            List.of()));
    assertRefused(customJwt(TestTokens.unsigned(TestTokens.claims(ISSUER, "d", HOST), "")), null);
    assertRefused(customJwt(rsa.sign(TestTokens.claims(ISSUER, "d", HOST))), "key");
  }

  @Test
  void jwksKeysAreFetchedOnceAndReused() throws Exception {
    jwksDocument = TestTokens.jwks(rsa);
    use(
        settings(
            new JwtIssuer(ISSUER, List.of(), List.of(), "http://127.0.0.1:" + port + "/jwks"),
            null,
            null,
            false,
            List.of()));
    assertThat(customJwt(rsa.sign(TestTokens.claims(ISSUER, "d1", HOST))).isAllowed()).isTrue();
    assertThat(customJwt(rsa.sign(TestTokens.claims(ISSUER, "d2", HOST))).isAllowed()).isTrue();
    assertThat(jwksFetches.get()).isEqualTo(1);
    assertRefused(customJwt(stranger.sign(TestTokens.claims(ISSUER, "d3", HOST))), "signature");
    assertThat(jwksFetches.get()).isEqualTo(1);
    // another key under a known kid is a bad signature, not a reason to fetch again
    assertRefused(customJwt(stranger.sign(TestTokens.claims(ISSUER, "d3", HOST))), "signature");
    assertThat(jwksFetches.get()).isEqualTo(1);
  }

  @Test
  void anUnknownKidTriggersAJwksRefresh() throws Exception {
    TestTokens rotated = TestTokens.es256("key9");
    jwksDocument = TestTokens.jwks(rsa);
    // a static key makes the verifier usable without a fetch; the JWKS is then fetched only for the
    // new kid
    use(
        settings(
            new JwtIssuer(
                ISSUER,
                List.of(),
                List.of(new IssuerCertificate("key1", rsa.publicKeyPem())),
                "http://127.0.0.1:" + port + "/jwks"),
            null,
            null,
            false,
            List.of()));
    jwksDocument = TestTokens.jwks(rsa, rotated);
    AuthResult r = customJwt(rotated.sign(TestTokens.claims(ISSUER, "d5", HOST)));
    assertThat(r.isAllowed()).as(r.detail()).isTrue();
    assertThat(jwksFetches.get()).isEqualTo(1);
    assertRefused(
        customJwt(TestTokens.es256("key10").sign(TestTokens.claims(ISSUER, "d6", HOST))), "key10");
    assertThat(jwksFetches.get()).as("at most one fetch per rate-limit period").isEqualTo(1);
  }

  @Test
  void aJwksThatCannotBeFetchedMakesTheBrokerUnavailableNotTheClientWrong() throws Exception {
    use(
        settings(
            new JwtIssuer(
                ISSUER,
                List.of(),
                List.of(),
                "http://127.0.0.1:" + TestBroker.freePort() + "/jwks"),
            null,
            null,
            false,
            List.of()));
    AuthResult r = customJwt(rsa.sign(TestTokens.claims(ISSUER, "d1", HOST)));
    assertThat(r.outcome()).isEqualTo(Outcome.UNAVAILABLE);
  }

  @Test
  void mqtt311ClientsSendTheTokenAsPassword() throws Exception {
    use(
        settings(
            customIssuer(List.of(), new IssuerCertificate("key1", rsa.publicKeyPem())),
            null,
            null,
            false,
            List.of()));
    String token = rsa.sign(TestTokens.claims(ISSUER, "v3-device", HOST));
    assertThat(connect(withPassword("c", "CUSTOM-JWT", token)).authenticationName())
        .isEqualTo("v3-device");
    assertThat(connect(withPassword("c", "", token)).authenticationName()).isEqualTo("v3-device");
    assertThat(connect(withPassword("c", null, token)).authenticationName()).isEqualTo("v3-device");
    assertRefused(
        connect(
            withPassword("c", "CUSTOM-JWT", stranger.sign(TestTokens.claims(ISSUER, "x", HOST)))),
        "signature");
    // a user name other than CUSTOM-JWT is no token login: anonymous access (denied here) decides
    assertRefused(connect(withPassword("c", "someone", token)), "anonymous");
  }

  // ---------------------------------------------------------------- OAUTH2-JWT

  @Test
  void oauth2JwtNamesThePrincipalByOidAndAcceptsTheEventGridAudience() throws Exception {
    JwtIssuer entra =
        new JwtIssuer(
            ENTRA, List.of(), List.of(new IssuerCertificate("key1", rsa.publicKeyPem())), null);
    JwtIssuer custom = customIssuer(List.of(), new IssuerCertificate("key2", ec.publicKeyPem()));
    use(settings(custom, entra, null, false, List.of()));
    JsonObject claims =
        TestTokens.claims(ENTRA, "pairwise-sub", "https://eventgrid.azure.net/")
            .put("oid", "0b7c0e6e-1111-2222-3333-444455556666");
    AuthResult r = connect(v5("c", "OAUTH2-JWT", rsa.sign(claims)));
    assertThat(r.isAllowed()).as(r.detail()).isTrue();
    assertThat(r.identity().authenticationName()).isEqualTo("0b7c0e6e-1111-2222-3333-444455556666");
    assertThat(r.identity().authority()).isEqualTo(Authority.ENTRA);
    assertThat(
            connect(
                    v5(
                        "c",
                        "OAUTH2-JWT",
                        rsa.sign(claims.copy().put("aud", "https://eventgrid.azure.net"))))
                .isAllowed())
        .isTrue();
    JsonObject noOid = claims.copy();
    noOid.remove("oid");
    assertThat(connect(v5("c", "OAUTH2-JWT", rsa.sign(noOid))).authenticationName())
        .isEqualTo("pairwise-sub");
    assertRefused(
        connect(v5("c", "OAUTH2-JWT", rsa.sign(claims.copy().put("aud", HOST)))), "audience");
    // a custom issuer's token under OAUTH2-JWT is judged as Entra: invalid issuer
    assertRefused(
        connect(
            v5(
                "c",
                "OAUTH2-JWT",
                ec.sign(TestTokens.claims(ISSUER, "d", "https://eventgrid.azure.net/")))),
        null);
  }

  @Test
  void bearerTokensPickTheIssuerByIss() throws Exception {
    JwtIssuer entra =
        new JwtIssuer(
            ENTRA, List.of(), List.of(new IssuerCertificate("key1", rsa.publicKeyPem())), null);
    use(
        settings(
            customIssuer(List.of(), new IssuerCertificate("key2", ec.publicKeyPem())),
            entra,
            null,
            false,
            List.of()));
    AuthResult e =
        await(
            authenticator.authenticateBearer(
                rsa.sign(
                    TestTokens.claims(ENTRA, "s", "https://eventgrid.azure.net")
                        .put("oid", "oid-1"))));
    assertThat(e.identity().authority()).isEqualTo(Authority.ENTRA);
    assertThat(e.authenticationName()).isEqualTo("oid-1");
    AuthResult c =
        await(authenticator.authenticateBearer(ec.sign(TestTokens.claims(ISSUER, "dev", HOST))));
    assertThat(c.identity().authority()).isEqualTo(Authority.CUSTOM_JWT);
    assertRefused(
        await(
            authenticator.authenticateBearer(
                rsa.sign(TestTokens.claims("https://nobody", "x", HOST)))),
        "issuer");
    assertRefused(await(authenticator.authenticateBearer("garbage")), null);
    // the key of the other issuer does not help
    assertRefused(
        await(authenticator.authenticateBearer(rsa.sign(TestTokens.claims(ISSUER, "dev", HOST)))),
        null);
  }

  // ---------------------------------------------------------------- methods

  @Test
  void anUnknownMethodWithoutWebhookIsBadMethodAndWithWebhookGoesToIt() throws Exception {
    use(settings(null, null, null, false, List.of()));
    assertThat(connect(v5("c", "SCRAM-SHA-1", "x")).outcome()).isEqualTo(Outcome.BAD_METHOD);
    assertThat(connect(v5("c", "CUSTOM-JWT", "x")).outcome())
        .as("not configured")
        .isEqualTo(Outcome.BAD_METHOD);
    useWebhook(60);
    webhookHandler =
        req ->
            req.body()
                .onSuccess(
                    b ->
                        req.response()
                            .end(
                                new JsonObject()
                                    .put("decision", "allow")
                                    .put("clientAuthenticationName", "scram-user")
                                    .encode()));
    assertThat(connect(v5("c", "SCRAM-SHA-1", "x")).authenticationName()).isEqualTo("scram-user");
  }

  @Test
  void resultsCompleteOnTheCallersContext() throws Exception {
    jwksDocument = TestTokens.jwks(rsa);
    use(
        settings(
            new JwtIssuer(ISSUER, List.of(), List.of(), "http://127.0.0.1:" + port + "/jwks"),
            null,
            null,
            false,
            List.of()));
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Boolean> sameContext = new CompletableFuture<>();
    String token = rsa.sign(TestTokens.claims(ISSUER, "d", HOST));
    context.runOnContext(
        v ->
            authenticator
                .authenticate(v5("c", "CUSTOM-JWT", token))
                .onComplete(
                    ar ->
                        sameContext.complete(
                            ar.succeeded()
                                && ar.result().isAllowed()
                                && Vertx.currentContext() == context)));
    assertThat(sameContext.get(20, TimeUnit.SECONDS)).isTrue();
  }

  // ---------------------------------------------------------------- webhook

  void useWebhook(long cacheTtlSeconds) {
    use(
        settings(
            null,
            null,
            new Webhook("http://127.0.0.1:" + port + "/auth", "hook-token", 1000, cacheTtlSeconds),
            false,
            List.of()));
  }

  @Test
  void theWebhookGetsTheCredentialsAsTheSpecSaysAndItsAllowDecides() throws Exception {
    useWebhook(0);
    AtomicReference<JsonObject> seen = new AtomicReference<>();
    AtomicReference<String> authorization = new AtomicReference<>();
    long expiration = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
    webhookHandler =
        req -> {
          authorization.set(req.getHeader("Authorization"));
          req.body()
              .onSuccess(
                  b -> {
                    seen.set(b.toJsonObject());
                    req.response()
                        .putHeader("Content-Type", "application/json")
                        .end(
                            new JsonObject()
                                .put("decision", "allow")
                                .put("clientAuthenticationName", "device-42")
                                .put("expiration", expiration)
                                .put(
                                    "attributes",
                                    new JsonObject()
                                        .put("site", "plant1")
                                        .put("floor", 3)
                                        .put("roles", new JsonArray().add("a").add("b"))
                                        .put("vip", true)
                                        .put("big", 5_000_000_000L))
                                .encode());
                  });
        };
    Issued ca = TestCertificates.rootCa("CN=Hook CA");
    Issued intermediate = ca.issueCa("CN=Hook Intermediate");
    Issued leaf = intermediate.issue(new Spec("CN=hooked"));
    Credentials c =
        new Credentials(
            "client-9",
            "user-9",
            new byte[] {1, 2, 3},
            "MY-METHOD",
            new byte[] {4, 5},
            "10.0.0.9",
            false,
            leaf.chain);
    AuthResult r = connect(c);
    assertThat(r.isAllowed()).as(r.detail()).isTrue();
    assertThat(r.identity().authenticationName()).isEqualTo("device-42");
    assertThat(r.identity().authority()).isEqualTo(Authority.WEBHOOK);
    assertThat(r.identity().expiresAtMillis()).isEqualTo(expiration * 1000);
    assertThat(r.identity().attributes())
        .containsOnly(
            Map.entry("site", "plant1"),
            Map.entry("floor", 3L),
            Map.entry("roles", List.of("a", "b")));
    assertThat(authorization.get()).isEqualTo("Bearer hook-token");
    JsonObject body = seen.get();
    assertThat(body.fieldNames())
        .containsExactlyInAnyOrder(
            "clientId",
            "userName",
            "password",
            "authenticationMethod",
            "authenticationData",
            "clientCertificate",
            "clientCertificateChain");
    assertThat(body.getString("clientId")).isEqualTo("client-9");
    assertThat(body.getString("userName")).isEqualTo("user-9");
    assertThat(Base64.getDecoder().decode(body.getString("password"))).containsExactly(1, 2, 3);
    assertThat(body.getString("authenticationMethod")).isEqualTo("MY-METHOD");
    assertThat(Base64.getDecoder().decode(body.getString("authenticationData")))
        .containsExactly(4, 5);
    assertThat(Pem.certificates(body.getString("clientCertificate")))
        .containsExactly(leaf.certificate);
    assertThat(Pem.certificates(body.getString("clientCertificateChain")))
        .containsExactly(intermediate.certificate);

    AuthResult minimal = connect(v5("only-id", null, null));
    assertThat(minimal.isAllowed()).as(minimal.detail()).isTrue();
    assertThat(seen.get().fieldNames()).containsExactly("clientId");
  }

  @Test
  void webhookDenyIsNotAuthorizedAndFailuresAreUnavailable() throws Exception {
    useWebhook(60);
    webhookHandler =
        req ->
            req.response()
                .end(
                    new JsonObject()
                        .put("decision", "deny")
                        .put("errorReason", "token expired")
                        .encode());
    AuthResult deny = connect(withPassword("c", "u", "p"));
    assertThat(deny.outcome()).as(deny.detail()).isEqualTo(Outcome.NOT_AUTHORIZED);
    assertThat(deny.detail()).contains("token expired");

    webhookHandler = req -> {}; // never answers
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("timeout")
        .isEqualTo(Outcome.UNAVAILABLE);
    webhookHandler = req -> req.response().setStatusCode(500).end("{\"decision\":\"allow\"}");
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("HTTP 500")
        .isEqualTo(Outcome.UNAVAILABLE);
    webhookHandler = req -> req.response().end("allow");
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("no JSON")
        .isEqualTo(Outcome.UNAVAILABLE);
    webhookHandler = req -> req.response().end("{\"decision\":\"maybe\"}");
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("no decision")
        .isEqualTo(Outcome.UNAVAILABLE);
    webhookHandler = req -> req.response().end("{\"decision\":\"allow\"}");
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("allow without name")
        .isEqualTo(Outcome.UNAVAILABLE);
    webhookHandler =
        req ->
            req.response()
                .end(
                    new JsonObject()
                        .put("decision", "allow")
                        .put("clientAuthenticationName", "x")
                        .put("expiration", Instant.now().getEpochSecond() - 10)
                        .encode());
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("expired decision")
        .isEqualTo(Outcome.NOT_AUTHORIZED);

    use(
        settings(
            null,
            null,
            new Webhook("http://127.0.0.1:" + TestBroker.freePort() + "/auth", null, 1000, 60),
            false,
            List.of()));
    assertThat(connect(withPassword("c", "u", "p")).outcome())
        .as("connection refused")
        .isEqualTo(Outcome.UNAVAILABLE);
  }

  @Test
  void allowDecisionsAreCachedPerRequestAndDenialsNever() throws Exception {
    useWebhook(60);
    webhookHandler =
        req ->
            req.body()
                .onSuccess(
                    b -> {
                      String user = b.toJsonObject().getString("userName");
                      req.response()
                          .end(
                              user.startsWith("good")
                                  ? new JsonObject()
                                      .put("decision", "allow")
                                      .put("clientAuthenticationName", user)
                                      .encode()
                                  : new JsonObject().put("decision", "deny").encode());
                    });
    assertThat(connect(withPassword("c", "good-1", "p")).isAllowed()).isTrue();
    assertThat(connect(withPassword("c", "good-1", "p")).isAllowed()).isTrue();
    assertThat(webhookCalls.get()).isEqualTo(1);
    assertThat(connect(withPassword("c", "good-1", "other password")).isAllowed()).isTrue();
    assertThat(webhookCalls.get()).as("another password is another request").isEqualTo(2);
    assertThat(connect(withPassword("c", "bad-1", "p")).isAllowed()).isFalse();
    assertThat(connect(withPassword("c", "bad-1", "p")).isAllowed()).isFalse();
    assertThat(webhookCalls.get()).isEqualTo(4);

    useWebhook(0);
    assertThat(connect(withPassword("c", "good-1", "p")).isAllowed()).isTrue();
    assertThat(connect(withPassword("c", "good-1", "p")).isAllowed()).isTrue();
    assertThat(webhookCalls.get()).as("cache off").isEqualTo(6);
  }

  // ---------------------------------------------------------------- password (extension)

  @Test
  void passwordsAreCheckedAgainstTheRegistryWhenEnabled() throws Exception {
    String hash = PasswordHashes.hash("right".toCharArray(), 1000);
    ClientResource alice =
        client("alice", ValidationScheme.SubjectMatchesAuthenticationName, List.of(), true, hash);
    ClientResource bob =
        client("bob", ValidationScheme.SubjectMatchesAuthenticationName, List.of(), false, hash);
    ClientResource carol =
        client("carol", ValidationScheme.SubjectMatchesAuthenticationName, List.of(), true, null);
    use(settings(null, null, null, true, List.of()), alice, bob, carol);
    AuthResult ok = connect(withPassword("c", "ALICE", "right"));
    assertThat(ok.isAllowed()).isTrue();
    assertThat(ok.identity().authenticationName()).isEqualTo("alice");
    assertThat(ok.identity().authority()).isEqualTo(Authority.REGISTRY);
    assertThat(ok.identity().attributes()).containsEntry("room", "345");
    assertThat(connect(withPassword("c", "alice", "wrong")).outcome())
        .isEqualTo(Outcome.BAD_CREDENTIALS);
    assertThat(connect(withPassword("c", "nobody", "right")).outcome())
        .isEqualTo(Outcome.BAD_CREDENTIALS);
    assertThat(connect(withPassword("c", "carol", "right")).outcome())
        .isEqualTo(Outcome.BAD_CREDENTIALS);
    assertThat(connect(withPassword("c", "bob", "right")).outcome())
        .isEqualTo(Outcome.NOT_AUTHORIZED);
    assertThat(connect(withPassword("c", null, "right")).outcome())
        .isEqualTo(Outcome.BAD_CREDENTIALS);

    use(settings(null, null, null, false, List.of()), alice);
    assertRefused(connect(withPassword("c", "alice", "right")), "anonymous");
  }

  // ---------------------------------------------------------------- X.509 without TLS (the TLS
  // path: X509AuthenticationIT)

  @Test
  void certificateChecksFollowTheClientsScheme() throws Exception {
    Issued root = TestCertificates.rootCa("CN=Root");
    Issued leaf = root.issue(new Spec("CN=dev-1").dns("dev-1.example.com"));
    Issued self = TestCertificates.selfSigned(new Spec("CN=self-1"));
    ClientResource byName =
        client("dev-1", ValidationScheme.SubjectMatchesAuthenticationName, List.of(), true, null);
    ClientResource byDns =
        new ClientResource(
            "dns",
            "dev-1.example.com",
            null,
            true,
            ValidationScheme.DnsMatchesAuthenticationName,
            List.of(),
            Map.of(),
            null);
    ClientResource byThumb =
        client("self-1", ValidationScheme.ThumbprintMatch, List.of(self.thumbprint()), true, null);
    use(
        settings(null, null, null, false, List.of(AlternativeNameSource.ClientCertificateDns)),
        List.of(new CaCertificate("root", null, root.pem())),
        byName,
        byDns,
        byThumb);
    AuthResult r = connect(withCertificate("c", "Dev-1", leaf.chain));
    assertThat(r.isAllowed()).as(r.detail()).isTrue();
    assertThat(r.identity().authenticationName()).isEqualTo("dev-1");
    assertThat(r.identity().expiresAtMillis()).isEqualTo(leaf.certificate.getNotAfter().getTime());
    assertThat(connect(withCertificate("c", null, leaf.chain)).authenticationName())
        .isEqualTo("dev-1.example.com");
    assertThat(connect(withCertificate("c", "self-1", self.chain)).isAllowed()).isTrue();
    assertRefused(connect(withCertificate("c", "self-1", leaf.chain)), "thumbprint");
    assertRefused(connect(withCertificate("c", "dev-1", self.chain)), "does not match");
    assertRefused(connect(withCertificate("c", "unknown", leaf.chain)), "could not be found");
  }

  static void assertRefused(AuthResult r, String detailPart) {
    assertThat(r.outcome()).as(String.valueOf(r.detail())).isEqualTo(Outcome.NOT_AUTHORIZED);
    assertThat(r.identity()).isNull();
    if (detailPart != null) {
      assertThat(r.detail()).containsIgnoringCase(detailPart);
    }
  }
}
