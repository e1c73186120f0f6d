package io.mqttgrid.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.access.NamespaceSettings.Webhook;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook decision (spec section 3.7) against a real HTTP server on a free port: allow, deny,
 * answers that are no decision, a webhook that never answers, a keep-alive connection the server
 * closed, and the cache of allow decisions.
 */
class WebhookAuthenticatorTest {

  static Vertx vertx;
  static HttpClient http;

  HttpServer server;
  String url;

  /** What the webhook does with each request; set by each test. */
  final AtomicReference<Handler<HttpServerRequest>> webhook = new AtomicReference<>();

  /** The body and Authorization header of every request the webhook got. */
  final List<JsonObject> requests = new CopyOnWriteArrayList<>();

  final List<String> authorizations = new CopyOnWriteArrayList<>();

  /**
   * The webhook timeout of the tests that are not about the timeout. A short one failed them on a
   * starved machine (a full build beside other JVMs) with UNAVAILABLE instead of their outcome: the
   * local webhook's answer came later than 2 s. The tests of the timeout set their own.
   */
  static final long AMPLE_TIMEOUT_MILLIS = 30_000;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void startWebhook() {
    // a client per test: a pooled keep-alive connection of an earlier test (whose server may have
    // had the same
    // port) must not answer this one
    http = vertx.createHttpClient();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              requests.add(body.toJsonObject());
                              authorizations.add(String.valueOf(req.getHeader("Authorization")));
                              webhook.get().handle(req);
                            }))
            .listen(0, "127.0.0.1")
            .await();
    url = "http://127.0.0.1:" + server.actualPort() + "/auth";
  }

  @AfterEach
  void stopWebhook() {
    http.close().await();
    server.close().await();
  }

  static Handler<HttpServerRequest> answer(int status, String body) {
    return req ->
        req.response()
            .setStatusCode(status)
            .putHeader("Content-Type", "application/json")
            .end(body);
  }

  static Handler<HttpServerRequest> answer(JsonObject body) {
    return answer(200, body.encode());
  }

  static Credentials credentials(String clientId) {
    return new Credentials(
        clientId,
        "user-1",
        "secret".getBytes(StandardCharsets.UTF_8),
        null,
        null,
        "127.0.0.1",
        true,
        List.of());
  }

  WebhookAuthenticator authenticator(long timeoutMillis, long cacheTtlSeconds) {
    return new WebhookAuthenticator(
        http, new Webhook(url, "hook-token", timeoutMillis, cacheTtlSeconds));
  }

  /**
   * Asks on an event loop, as the broker does: from the test thread, a response that arrives before
   * the thread chains its next step is handed to that step already read (an empty body).
   */
  static AuthResult await(WebhookAuthenticator a, Credentials c) throws Exception {
    CompletableFuture<AuthResult> result = new CompletableFuture<>();
    vertx.runOnContext(
        v ->
            a.authenticate(c)
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        result.complete(ar.result());
                      } else {
                        result.completeExceptionally(ar.cause());
                      }
                    }));
    // longer than any webhook timeout of these tests: a slow answer shows as its outcome
    return result.get(AMPLE_TIMEOUT_MILLIS + 10_000, TimeUnit.MILLISECONDS);
  }

  @Test
  void allowGivesTheNamedIdentityWithItsAttributesAndExpiry() throws Exception {
    long expiration = System.currentTimeMillis() / 1000 + 600;
    webhook.set(
        answer(
            new JsonObject()
                .put("decision", "allow")
                .put("clientAuthenticationName", "device-7")
                .put("expiration", expiration)
                .put("attributes", new JsonObject().put("room", "kitchen"))));

    AuthResult r = await(authenticator(AMPLE_TIMEOUT_MILLIS, 0), credentials("c1"));

    assertThat(r.isAllowed()).isTrue();
    assertThat(r.identity().authenticationName()).isEqualTo("device-7");
    assertThat(r.identity().attributes()).containsKey("room");
    assertThat(r.identity().expiresAtMillis()).isEqualTo(expiration * 1000);
    // what the webhook was asked: the credentials as spec section 3.7 spells them, with the bearer
    // token
    assertThat(requests)
        .singleElement()
        .satisfies(
            body -> {
              assertThat(body.getString("clientId")).isEqualTo("c1");
              assertThat(body.getString("userName")).isEqualTo("user-1");
              assertThat(Base64.getDecoder().decode(body.getString("password")))
                  .asString()
                  .isEqualTo("secret");
              assertThat(body.containsKey("authenticationMethod")).isFalse();
            });
    assertThat(authorizations).containsExactly("Bearer hook-token");
  }

  @Test
  void denyIsNotAuthorizedWithTheWebhooksReason() throws Exception {
    webhook.set(
        answer(new JsonObject().put("decision", "deny").put("errorReason", "unknown device")));
    AuthResult r = await(authenticator(AMPLE_TIMEOUT_MILLIS, 60), credentials("c1"));
    assertThat(r.outcome()).isEqualTo(AuthResult.Outcome.NOT_AUTHORIZED);
    assertThat(r.detail()).contains("unknown device");
    // a denial is never cached: the webhook is asked again
    await(authenticator(AMPLE_TIMEOUT_MILLIS, 60), credentials("c1"));
    assertThat(requests).hasSize(2);
  }

  @Test
  void anAnswerThatIsNoDecisionIsUnavailable() throws Exception {
    WebhookAuthenticator a = authenticator(AMPLE_TIMEOUT_MILLIS, 0);
    webhook.set(answer(200, "<html>hello</html>"));
    assertThat(await(a, credentials("c1")).outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    webhook.set(answer(200, "[\"allow\"]"));
    assertThat(await(a, credentials("c1")).outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    webhook.set(answer(new JsonObject().put("decision", "maybe")));
    assertThat(await(a, credentials("c1")).outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    webhook.set(answer(new JsonObject().put("decision", "allow")));
    assertThat(await(a, credentials("c1")).outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    webhook.set(
        answer(
            500,
            new JsonObject()
                .put("decision", "allow")
                .put("clientAuthenticationName", "x")
                .encode()));
    assertThat(await(a, credentials("c1")).outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
  }

  @Test
  void anAllowThatHasExpiredIsNotAuthorized() throws Exception {
    webhook.set(
        answer(
            new JsonObject()
                .put("decision", "allow")
                .put("clientAuthenticationName", "d")
                .put("expiration", System.currentTimeMillis() / 1000 - 10)));
    assertThat(await(authenticator(AMPLE_TIMEOUT_MILLIS, 0), credentials("c1")).outcome())
        .isEqualTo(AuthResult.Outcome.NOT_AUTHORIZED);
  }

  @Test
  void aWebhookThatNeverAnswersIsUnavailableAfterTheTimeout() throws Exception {
    webhook.set(
        req -> {
          // holds the request open
        });
    long start = System.nanoTime();
    AuthResult r = await(authenticator(300, 0), credentials("c1"));
    assertThat(r.outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(300);
  }

  @Test
  void aWebhookThatTricklesItsAnswerIsUnavailableAfterTheTimeout() throws Exception {
    // a byte every 100 ms keeps the connection from ever being idle: only the overall timeout ends
    // the wait
    webhook.set(
        req -> {
          req.response().setChunked(true).putHeader("Content-Type", "application/json").write("{");
          long[] ticks = {0};
          vertx.setPeriodic(
              100,
              id -> {
                if (++ticks[0] > 50 || req.response().closed()) {
                  vertx.cancelTimer(id);
                } else {
                  req.response().write(" ");
                }
              });
        });
    long start = System.nanoTime();
    AuthResult r = await(authenticator(500, 0), credentials("c1"));
    assertThat(r.outcome()).isEqualTo(AuthResult.Outcome.UNAVAILABLE);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 4_000L);
  }

  @Test
  void aKeepAliveConnectionClosedByTheServerIsRetriedOnce() throws Exception {
    JsonObject allow =
        new JsonObject().put("decision", "allow").put("clientAuthenticationName", "d");
    webhook.set(
        req -> {
          if (requests.size() == 1) {
            // the server drops the connection the request came on before answering, as one closing
            // an idle
            // keep-alive connection does
            req.connection().close();
          } else {
            answer(allow).handle(req);
          }
        });
    AuthResult r = await(authenticator(AMPLE_TIMEOUT_MILLIS, 0), credentials("c1"));
    assertThat(r.isAllowed()).isTrue();
    assertThat(requests).hasSize(2);
  }

  @Test
  void anAllowIsReusedForTheSameRequestWhileTheCacheLasts() throws Exception {
    webhook.set(
        answer(new JsonObject().put("decision", "allow").put("clientAuthenticationName", "d")));
    WebhookAuthenticator cached = authenticator(AMPLE_TIMEOUT_MILLIS, 60);
    assertThat(await(cached, credentials("c1")).isAllowed()).isTrue();
    assertThat(await(cached, credentials("c1")).isAllowed()).isTrue();
    assertThat(requests).hasSize(1);
    // other credentials are another request
    assertThat(await(cached, credentials("c2")).isAllowed()).isTrue();
    assertThat(requests).hasSize(2);

    WebhookAuthenticator uncached = authenticator(AMPLE_TIMEOUT_MILLIS, 0);
    await(uncached, credentials("c3"));
    await(uncached, credentials("c3"));
    assertThat(requests).hasSize(4);
  }

  @Test
  void aCachedAllowEndsWithTheDecisionsExpiration() throws Exception {
    // the decision expires 4 to 5 s after the webhook's first answer (not after the test's start:
    // a first request slow on a cold or starved JVM must not use up its life before it is cached),
    // and every answer names that same instant. The cache may not outlive it even with a long TTL.
    AtomicLong expiration = new AtomicLong();
    webhook.set(
        req -> {
          expiration.compareAndSet(0, System.currentTimeMillis() / 1000 + 5);
          answer(
                  new JsonObject()
                      .put("decision", "allow")
                      .put("clientAuthenticationName", "d")
                      .put("expiration", expiration.get()))
              .handle(req);
        });
    WebhookAuthenticator cached = authenticator(AMPLE_TIMEOUT_MILLIS, 3_600);
    assertThat(await(cached, credentials("c1")).isAllowed()).isTrue();
    // until the expiration instant itself, not a guessed duration
    Thread.sleep(Math.max(0, expiration.get() * 1000 - System.currentTimeMillis()));
    AuthResult again = await(cached, credentials("c1"));
    assertThat(again.outcome()).as(again.toString()).isEqualTo(AuthResult.Outcome.NOT_AUTHORIZED);
    assertThat(requests).hasSize(2);
  }
}
