package io.mqttgrid.auth;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.NamespaceSettings.Webhook;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook authentication (as Event Grid defines it): the CONNECT's credentials are POSTed to the
 * namespace's endpoint, whose {@code allow} / {@code deny} decides. A deny is 0x87; a webhook that
 * is slow, answers other than 200 with a decision, or cannot be reached makes the CONNECT fail with
 * 0x88, since the client may well be entitled. Allow decisions are reused for identical requests
 * for {@code min(expiration, cacheTtl)}; denials and failures never are.
 */
final class WebhookAuthenticator {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookAuthenticator.class);

  /** Bounds the allow-decision cache; the oldest entries go first. */
  static final int CACHE_ENTRIES = 10_000;

  /** A decision is a few hundred bytes; a larger answer is no decision. */
  static final int MAX_RESPONSE_BYTES = 64 * 1024;

  static final long DEFAULT_TIMEOUT_MILLIS = 5_000;
  private static final Set<String> NOT_ATTRIBUTES = Set.of();

  private final HttpClient http;
  private final Webhook config;
  private final Map<String, Cached> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          return size() > CACHE_ENTRIES;
        }
      };

  private record Cached(ClientIdentity identity, long validUntilMillis) {}

  WebhookAuthenticator(HttpClient http, Webhook config) {
    this.http = http;
    this.config = config;
  }

  /** Spec section 3.7 recommends answering within about 5 s; that is the default. */
  private long timeoutMillis() {
    return config.timeoutMillis() > 0 ? config.timeoutMillis() : DEFAULT_TIMEOUT_MILLIS;
  }

  Webhook config() {
    return config;
  }

  Future<AuthResult> authenticate(Credentials c) {
    JsonObject request = request(c);
    String body = request.encode();
    String key = cacheKey(body);
    long now = System.currentTimeMillis();
    synchronized (cache) {
      Cached hit = cache.get(key);
      if (hit != null) {
        if (hit.validUntilMillis() > now) {
          return Future.succeededFuture(AuthResult.allowed(hit.identity()));
        }
        cache.remove(key);
      }
    }
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(config.endpointUrl())
            .setConnectTimeout(timeoutMillis())
            .setIdleTimeout(timeoutMillis())
            .putHeader("Content-Type", "application/json")
            .putHeader("Accept", "application/json");
    if (config.bearerToken() != null && !config.bearerToken().isEmpty()) {
      options.putHeader("Authorization", "Bearer " + config.bearerToken());
    }
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    return post(options, body, sent)
        // a pooled keep-alive connection the webhook server closed meanwhile (servers close idle
        // ones)
        // fails before any answer: the decision is asked again once, on a fresh connection
        .recover(
            e ->
                e instanceof HttpClosedException
                    ? post(options, body, sent)
                    : Future.failedFuture(e))
        .timeout(timeoutMillis(), TimeUnit.MILLISECONDS)
        .transform(
            ar -> {
              if (ar.failed()) {
                // a request the webhook never answers would otherwise keep its pooled connection
                // busy
                HttpClientRequest req = sent.get();
                if (req != null) {
                  req.reset();
                }
                LOG.warn(
                    "authentication webhook failed for client {}: {}",
                    c.clientId(),
                    describe(ar.cause()));
                return Future.succeededFuture(
                    AuthResult.refused(
                        AuthResult.Outcome.UNAVAILABLE, "authentication webhook unavailable"));
              }
              AuthResult result = decision(ar.result(), c.clientId());
              if (result.isAllowed() && config.cacheTtlSeconds() > 0) {
                long until = System.currentTimeMillis() + config.cacheTtlSeconds() * 1000;
                long expires = result.identity().expiresAtMillis();
                synchronized (cache) {
                  cache.put(
                      key,
                      new Cached(
                          result.identity(), expires > 0 ? Math.min(expires, until) : until));
                }
              }
              return Future.succeededFuture(result);
            });
  }

  private Future<Buffer> post(
      RequestOptions options, String body, AtomicReference<HttpClientRequest> sent) {
    return http.request(options)
        .compose(
            req -> {
              sent.set(req);
              return req.send(Buffer.buffer(body));
            })
        // the body of a refusal is read and dropped, so that the connection can be reused
        .compose(
            resp ->
                resp.body()
                    .compose(
                        b ->
                            resp.statusCode() == 200
                                ? Future.succeededFuture(b)
                                : Future.failedFuture("HTTP " + resp.statusCode())));
  }

  private static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /**
   * The request body of Event Grid's webhook authentication: absent fields are left out rather than
   * sent as null.
   */
  static JsonObject request(Credentials c) {
    JsonObject json = new JsonObject().put("clientId", c.clientId());
    if (c.username() != null) {
      json.put("userName", c.username());
    }
    if (c.password() != null) {
      json.put("password", Base64.getEncoder().encodeToString(c.password()));
    }
    if (c.authMethod() != null) {
      json.put("authenticationMethod", c.authMethod());
    }
    if (c.authData() != null) {
      json.put("authenticationData", Base64.getEncoder().encodeToString(c.authData()));
    }
    List<X509Certificate> chain = c.certificateChain();
    if (!chain.isEmpty()) {
      try {
        json.put("clientCertificate", Pem.encode("CERTIFICATE", chain.get(0).getEncoded()));
        if (chain.size() > 1) {
          StringBuilder rest = new StringBuilder();
          for (X509Certificate cert : chain.subList(1, chain.size())) {
            rest.append(Pem.encode("CERTIFICATE", cert.getEncoded()));
          }
          json.put("clientCertificateChain", rest.toString());
        }
      } catch (CertificateEncodingException e) {
        // a certificate the TLS layer accepted always encodes; without it the webhook decides on
        // the rest
      }
    }
    return json;
  }

  /** The decision of an HTTP 200 answer: allow, deny, or (no usable decision) unavailable. */
  static AuthResult decision(Buffer body, String clientId) {
    if (body.length() > MAX_RESPONSE_BYTES) {
      return AuthResult.refused(
          AuthResult.Outcome.UNAVAILABLE, "authentication webhook answer too large");
    }
    JsonObject json;
    try {
      json = body.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      LOG.warn(
          "authentication webhook answered client {} with no JSON object ({} bytes, starting '{}')",
          clientId,
          body.length(),
          body.getString(0, Math.min(body.length(), 40)).replaceAll("[^\\x20-\\x7e]", "?"));
      return AuthResult.refused(
          AuthResult.Outcome.UNAVAILABLE, "authentication webhook answer is not JSON");
    }
    Object decision = json.getValue("decision");
    if ("deny".equals(decision)) {
      Object reason = json.getValue("errorReason");
      LOG.info(
          "authentication webhook denied client {}: {}",
          clientId,
          reason instanceof String ? reason : "no reason");
      return AuthResult.refused(
          AuthResult.Outcome.NOT_AUTHORIZED,
          "denied by the authentication webhook" + (reason instanceof String r ? ": " + r : ""));
    }
    if (!"allow".equals(decision)) {
      LOG.warn(
          "authentication webhook answered client {} without an allow/deny decision", clientId);
      return AuthResult.refused(
          AuthResult.Outcome.UNAVAILABLE, "authentication webhook gave no decision");
    }
    Object name = json.getValue("clientAuthenticationName");
    if (!(name instanceof String n) || n.isEmpty()) {
      LOG.warn(
          "authentication webhook allowed client {} without a clientAuthenticationName", clientId);
      return AuthResult.refused(
          AuthResult.Outcome.UNAVAILABLE,
          "authentication webhook allowed without clientAuthenticationName");
    }
    long expiresAt = 0;
    Object expiration = json.getValue("expiration");
    if (expiration instanceof Number seconds) {
      expiresAt = seconds.longValue() * 1000;
      if (expiresAt <= System.currentTimeMillis()) {
        return AuthResult.refused(
            AuthResult.Outcome.NOT_AUTHORIZED, "the webhook's decision has expired");
      }
    }
    Object attributes = json.getValue("attributes");
    Map<String, Object> attrs =
        attributes instanceof JsonObject a ? ClaimAttributes.of(a, NOT_ATTRIBUTES) : Map.of();
    return AuthResult.allowed(
        new ClientIdentity(n, attrs, ClientIdentity.Authority.WEBHOOK, expiresAt));
  }

  /** The cache holds a digest of the request, never the credentials themselves. */
  private String cacheKey(String body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(config.endpointUrl().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      return HexFormat.of().formatHex(sha.digest(body.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
