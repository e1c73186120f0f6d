package io.mqttgrid.auth;

import io.mqttgrid.access.NamespaceSettings.IssuerCertificate;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the tokens of one configured issuer (Event Grid's Entra ID and custom JWT authentication)
 * with vertx-auth-jwt: signature by one of the issuer's keys (PEM certificates or public keys, and
 * the issuer's JWKS document when configured), {@code iss} exactly, {@code aud} naming one of the
 * accepted audiences, {@code exp} (required) and {@code nbf}/{@code iat} when present, with the
 * broker's clock-skew leeway ({@code auth.jwt-clock-skew}). Only RS256 and ES256 are accepted, so
 * neither {@code alg: none} nor an HMAC "signed" with a public key gets near a key.
 *
 * <p>One rule for time, whatever the protocol: a token is valid until {@code exp} plus the leeway,
 * and the identity it yields carries that instant as its expiry, so an MQTT connection ends then
 * and an HTTP request after it gets 401.
 *
 * <p>Holds no per-connection state: re-authentication calls it again with the new token. The JWKS
 * document is fetched on first use, again when a token names a key it does not hold (at most once
 * per {@link #JWKS_MIN_REFRESH_MILLIS}) and when older than {@link #JWKS_MAX_AGE_MILLIS}.
 */
final class JwtVerifier {

  private static final Logger LOG = LoggerFactory.getLogger(JwtVerifier.class);

  /** Spec sections 3.5 and 3.6: authentication data up to 8 KB. */
  static final int MAX_TOKEN_BYTES = 8 * 1024;

  static final long JWKS_MIN_REFRESH_MILLIS = 30_000;
  static final long JWKS_MAX_AGE_MILLIS = 3_600_000;
  static final long JWKS_TIMEOUT_MILLIS = 5_000;
  private static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");

  /**
   * The outcome: the token's claims and the instant it stops being valid ({@code exp} plus the
   * leeway, epoch millis), or why it is refused ({@code unavailable}: keys could not be fetched).
   */
  record Check(JsonObject claims, long validUntilMillis, String refusal, boolean unavailable) {
    static Check refused(String why) {
      return new Check(null, 0, why, false);
    }
  }

  private final Vertx vertx;
  private final HttpClient http;
  private final JwtIssuer issuer;
  private final List<String> audiences;
  private final List<PubSecKeyOptions> configuredKeys;
  private final int leewaySeconds;

  /**
   * The keys in use: the configured ones plus the last JWKS document; null until there is at least
   * one key.
   */
  private volatile JWTAuth provider;

  private volatile long jwksFetchedAt;
  private long lastJwksAttempt;
  private Future<Void> jwksFetch;

  /**
   * @param leewaySeconds clock skew allowed on {@code exp}, {@code nbf} and {@code iat}
   */
  JwtVerifier(
      Vertx vertx, HttpClient http, JwtIssuer issuer, List<String> audiences, int leewaySeconds) {
    this.vertx = vertx;
    this.http = http;
    this.issuer = issuer;
    this.audiences = List.copyOf(audiences);
    this.leewaySeconds = leewaySeconds;
    this.configuredKeys = configuredKeys(issuer);
    this.provider = configuredKeys.isEmpty() ? null : provider(List.of());
  }

  JwtIssuer issuer() {
    return issuer;
  }

  List<String> audiences() {
    return audiences;
  }

  /** The {@code iss} claim of a token without checking anything; null when it is no JWT. */
  static String unverifiedIssuer(String token) {
    JsonObject payload = unverifiedPart(token, 1);
    return payload == null ? null : payload.getValue("iss") instanceof String s ? s : null;
  }

  /**
   * Whether the text has the shape of a signed JWT (three base64url parts with a JSON header).
   * Lenient on purpose: it only routes a password to the JWT verifier, which then refuses a
   * non-canonical spelling.
   */
  static boolean looksLikeJwt(String text) {
    return text != null
        && text.chars().filter(c -> c == '.').count() == 2
        && unverifiedPart(text, 0) != null;
  }

  private static JsonObject unverifiedPart(String token, int index) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || token.length() > MAX_TOKEN_BYTES * 2) {
      return null;
    }
    try {
      return new JsonObject(
          new String(Base64.getUrlDecoder().decode(parts[index]), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return null;
    }
  }

  Future<Check> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Future.succeededFuture(Check.refused("no token"));
    }
    if (token.getBytes(StandardCharsets.UTF_8).length > MAX_TOKEN_BYTES) {
      return Future.succeededFuture(
          Check.refused("token longer than " + MAX_TOKEN_BYTES + " bytes"));
    }
    JsonObject header = unverifiedPart(token, 0);
    if (header == null) {
      return Future.succeededFuture(Check.refused("not a signed JWT"));
    }
    String notCanonical = nonCanonicalSegment(token);
    if (notCanonical != null) {
      return Future.succeededFuture(
          Check.refused(
              "token "
                  + notCanonical
                  + " is not canonical base64url (padding, other characters or non-zero trailing bits)"));
    }
    if (header.containsKey("crit")) {
      // RFC 7515 4.1.11: a recipient must reject a token whose critical extensions it does not
      // understand;
      // this verifier understands none
      return Future.succeededFuture(
          Check.refused(
              "token header has critical extensions ('crit') this broker "
                  + "does not understand"));
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a) || !ALGORITHMS.contains(a)) {
      return Future.succeededFuture(
          Check.refused("token algorithm '" + alg + "' is not accepted (RS256, ES256)"));
    }
    String kid = header.getValue("kid") instanceof String k ? k : null;
    boolean stale =
        issuer.jwksUrl() != null
            && System.currentTimeMillis() - jwksFetchedAt > JWKS_MAX_AGE_MILLIS;
    Future<Void> keysReady = provider == null || stale ? refreshJwks() : Future.succeededFuture();
    return keysReady.transform(
        refresh -> {
          JWTAuth current = provider;
          if (current == null) {
            // without a key nothing can be judged: a JWKS that cannot be fetched is the issuer's
            // outage, not the
            // client's fault (0x88); a configuration without any usable key refuses
            return Future.succeededFuture(
                issuer.jwksUrl() != null
                    ? new Check(
                        null,
                        0,
                        "the issuer's keys are not available from " + issuer.jwksUrl(),
                        true)
                    : Check.refused("the issuer has no usable RS256/ES256 key"));
          }
          return check(current, token)
              .compose(
                  first -> {
                    if (first.unknownKey && issuer.jwksUrl() != null) {
                      // a key rotated in at the issuer after our last fetch
                      return refreshJwks()
                          .transform(r -> check(provider, token))
                          .map(second -> second.result(kid));
                    }
                    return Future.succeededFuture(first.result(kid));
                  });
        });
  }

  private record Attempt(
      JsonObject claims, long validUntilMillis, String refusal, boolean unknownKey) {
    Check result(String kid) {
      if (unknownKey) {
        return Check.refused(
            kid == null
                ? "no key of the issuer verifies the token"
                : "the issuer has no key '" + kid + "'");
      }
      return claims != null
          ? new Check(claims, validUntilMillis, null, false)
          : Check.refused(refusal);
    }
  }

  /**
   * {@code exp} plus the leeway: the same instant vertx-auth-jwt stops accepting the token (whole
   * seconds).
   */
  private long validUntil(JsonObject claims) {
    return (((Number) claims.getValue("exp")).longValue() + leewaySeconds) * 1000;
  }

  /**
   * The name of the first segment that is not canonical unpadded base64url (RFC 7515 2 and appendix
   * C), null when all three are. vertx-auth-jwt decodes leniently, so one token had several
   * spellings (a signature with {@code ==} appended, or a last character differing only in unused
   * bits) that all verified; a token must have exactly one spelling, so that a refused or revoked
   * spelling cannot be replayed as another. Checked by hand because neither vertx-auth-jwt nor the
   * JDK decoder has a strict mode; re-encoding what decodes is the definition of canonical.
   */
  static String nonCanonicalSegment(String token) {
    String[] parts = token.split("\\.", -1);
    String[] names = {"header", "payload", "signature"};
    if (parts.length != 3) {
      return "shape";
    }
    for (int i = 0; i < 3; i++) {
      try {
        byte[] decoded = Base64.getUrlDecoder().decode(parts[i]);
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(decoded).equals(parts[i])) {
          return names[i];
        }
      } catch (IllegalArgumentException e) {
        return names[i];
      }
    }
    return null;
  }

  private Future<Attempt> check(JWTAuth current, String token) {
    if (current == null) {
      return Future.succeededFuture(new Attempt(null, 0, null, true));
    }
    Future<User> authenticated;
    try {
      authenticated = current.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws rather than fails on some malformed claims (a non-numeric exp, for
      // one)
      authenticated = Future.failedFuture(e);
    }
    return authenticated.transform(
        ar -> {
          if (ar.failed()) {
            Throwable cause = ar.cause();
            return Future.succeededFuture(
                new Attempt(null, 0, refusalText(cause), cause instanceof NoSuchKeyIdException));
          }
          User user = ar.result();
          JsonObject claims = user.attributes().getJsonObject("accessToken");
          if (claims == null || !(claims.getValue("exp") instanceof Number)) {
            return Future.succeededFuture(new Attempt(null, 0, "token has no exp claim", false));
          }
          long validUntil = validUntil(claims);
          if (validUntil <= System.currentTimeMillis()) {
            // vertx-auth-jwt compares whole seconds taken a moment earlier: the identity must never
            // be born expired
            return Future.succeededFuture(
                new Attempt(null, 0, "token expired or not yet valid (exp/nbf/iat)", false));
          }
          return Future.succeededFuture(new Attempt(claims, validUntil, null, false));
        });
  }

  private static String refusalText(Throwable cause) {
    String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (m.contains("expired")) {
      return "token expired or not yet valid (exp/nbf/iat)";
    }
    if (m.contains("audience")) {
      return "token audience does not name this broker";
    }
    if (m.contains("issuer")) {
      return "invalid issuer";
    }
    if (cause instanceof java.security.SignatureException || m.contains("Signature")) {
      return "token signature does not verify";
    }
    return "invalid token: " + m;
  }

  /**
   * Fetches the JWKS document, once at a time and at most once per {@link
   * #JWKS_MIN_REFRESH_MILLIS}.
   */
  private Future<Void> refreshJwks() {
    if (issuer.jwksUrl() == null) {
      return Future.succeededFuture();
    }
    synchronized (this) {
      if (jwksFetch != null) {
        return jwksFetch;
      }
      long now = System.currentTimeMillis();
      if (now - lastJwksAttempt < JWKS_MIN_REFRESH_MILLIS) {
        return Future.succeededFuture();
      }
      lastJwksAttempt = now;
      Promise<Void> done = Promise.promise();
      jwksFetch = done.future();
      fetchJwks()
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  provider = provider(ar.result());
                  jwksFetchedAt = System.currentTimeMillis();
                  LOG.info(
                      "JWKS of issuer {} loaded: {} usable key(s)",
                      issuer.tokenIssuer(),
                      ar.result().size());
                } else {
                  LOG.warn(
                      "JWKS of issuer {} cannot be fetched from {}: {}",
                      issuer.tokenIssuer(),
                      issuer.jwksUrl(),
                      ar.cause().getMessage());
                }
                synchronized (this) {
                  jwksFetch = null;
                }
                done.handle(ar.mapEmpty());
              });
      return jwksFetch;
    }
  }

  private Future<List<JsonObject>> fetchJwks() {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(issuer.jwksUrl())
            .setConnectTimeout(JWKS_TIMEOUT_MILLIS)
            .setIdleTimeout(JWKS_TIMEOUT_MILLIS)
            .putHeader("Accept", "application/json");
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    return http.request(request)
        .compose(
            req -> {
              sent.set(req);
              return req.send();
            })
        // the body of a refusal is read and dropped, so that the connection can be reused
        .compose(
            resp ->
                resp.body()
                    .compose(
                        b ->
                            resp.statusCode() == 200
                                ? Future.succeededFuture(b)
                                : Future.failedFuture("HTTP " + resp.statusCode())))
        .timeout(JWKS_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .onFailure(
            e -> {
              HttpClientRequest req = sent.get();
              if (req != null) {
                req.reset();
              }
            })
        .map(body -> usableKeys(body.toJsonObject().getJsonArray("keys", new JsonArray())));
  }

  /**
   * Signature keys of a JWKS document this verifier can use: RSA keys for RS256 and P-256 keys for
   * ES256. Symmetric keys are never taken from a document fetched over the network.
   */
  static List<JsonObject> usableKeys(JsonArray keys) {
    List<JsonObject> usable = new ArrayList<>();
    for (Object o : keys) {
      if (!(o instanceof JsonObject key)) {
        continue;
      }
      String use = key.getString("use");
      if (use != null && !use.equals("sig")) {
        continue;
      }
      String kty = key.getString("kty", "");
      String alg = key.getString("alg");
      if (kty.equals("RSA") && (alg == null || alg.equals("RS256"))) {
        usable.add(key.copy().put("alg", "RS256"));
      } else if (kty.equals("EC")
          && "P-256".equals(key.getString("crv"))
          && (alg == null || alg.equals("ES256"))) {
        usable.add(key.copy().put("alg", "ES256"));
      }
    }
    return usable;
  }

  private static List<PubSecKeyOptions> configuredKeys(JwtIssuer issuer) {
    List<PubSecKeyOptions> keys = new ArrayList<>();
    for (IssuerCertificate c : issuer.certificates()) {
      try {
        PublicKey key = Pem.publicKey(c.encodedCertificate());
        String alg = algorithmOf(key);
        if (alg == null) {
          LOG.warn(
              "issuer {} key {} is neither RSA nor EC P-256 and is ignored",
              issuer.tokenIssuer(),
              c.kid());
          continue;
        }
        // re-encoded so that one-line PEM text and certificates work alike
        keys.add(
            new PubSecKeyOptions()
                .setAlgorithm(alg)
                .setId(c.kid())
                .setBuffer(Pem.encode("PUBLIC KEY", key.getEncoded())));
      } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
        LOG.warn(
            "issuer {} key {} is not a usable PEM certificate or public key and is ignored: {}",
            issuer.tokenIssuer(),
            c.kid(),
            e.getMessage());
      }
    }
    return keys;
  }

  static String algorithmOf(PublicKey key) {
    if (key instanceof RSAPublicKey) {
      return "RS256";
    }
    if (key instanceof ECPublicKey ec
        && ec.getParams().getCurve().getField().getFieldSize() == 256) {
      return "ES256";
    }
    return null;
  }

  /** A provider for the configured keys plus {@code jwks}; null when that makes no key at all. */
  private JWTAuth provider(List<JsonObject> jwks) {
    if (configuredKeys.isEmpty() && jwks.isEmpty()) {
      // vertx-auth-jwt without any key accepts unsigned tokens: never build one
      return null;
    }
    JWTAuthOptions options =
        new JWTAuthOptions()
            .setJWTOptions(
                new JWTOptions()
                    .setIssuer(issuer.tokenIssuer())
                    .setAudience(audiences)
                    .setLeeway(leewaySeconds)
                    .setIgnoreExpiration(false));
    configuredKeys.forEach(options::addPubSecKey);
    options.setJwks(jwks);
    return JWTAuth.create(vertx, options);
  }
}
