package io.mqttgrid.auth;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ClientIdentity.Authority;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.access.NamespaceSettings;
import io.mqttgrid.access.NamespaceSettings.AlternativeNameSource;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.mqttgrid.access.NamespaceSettings.Webhook;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication against the namespace model (Event Grid's authentication methods). The method is
 * chosen per CONNECT (3.1):
 *
 * <ol>
 *   <li>Authentication Method {@code OAUTH2-JWT} with that issuer configured: Entra-style token
 *       (3.5);
 *   <li>{@code CUSTOM-JWT} with that issuer configured: custom JWT (3.6). For MQTT 3.1.1, which has
 *       no authentication method, a token in the password field counts as {@code CUSTOM-JWT} when
 *       the namespace has a custom JWT issuer and the Username is {@code CUSTOM-JWT}, or empty with
 *       a password shaped like a JWT; configuring the issuer is the switch;
 *   <li>a webhook configured: it decides every other CONNECT (3.7);
 *   <li>any other authentication method: 0x8C;
 *   <li>a TLS client certificate: X.509 against the client registry (3.2 to 3.4);
 *   <li>password authentication enabled and a password given: the client's password hash
 *       (extension);
 *   <li>otherwise the anonymous access of {@code auth.anonymous}, so that a broker without a
 *       namespace model behaves as before (loopback-only by default). A client certificate is also
 *       left to it while the model has no client at all: there is no registry to check it against.
 * </ol>
 *
 * <p>Everything derived from the model (parsed CA certificates, token verifiers with their JWKS,
 * the webhook's decision cache) is kept per model version and rebuilt only when its own part of the
 * model changes. No state is kept per connection, so re-authentication simply calls again with the
 * new credentials. Results complete on the caller's context.
 */
public final class NamespaceAuthenticator implements Authenticator, BearerTokenAuthenticator {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceAuthenticator.class);

  public static final String OAUTH2_JWT = "OAUTH2-JWT";
  public static final String CUSTOM_JWT = "CUSTOM-JWT";

  /**
   * Spec section 3.5: Entra tokens for Event Grid name this audience, with or without the slash.
   */
  static final List<String> ENTRA_AUDIENCES =
      List.of("https://eventgrid.azure.net/", "https://eventgrid.azure.net");

  /**
   * Verified instead of a missing client's hash, so that an unknown name costs as much as a wrong
   * password. Same iteration count as new hashes; salt and hash are zeros, which no password
   * produces.
   */
  private static final String UNKNOWN_CLIENT_HASH =
      PasswordHashes.SCHEME
          + "$"
          + PasswordHashes.DEFAULT_ITERATIONS
          + "$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  /** Connections to the webhook (and JWKS hosts) per host. */
  static final int HTTP_CONNECTIONS = 32;

  private final Supplier<NamespaceModel> models;
  private final Vertx vertx;
  private final AnonymousAuthenticator anonymous;
  private final HttpClient http;
  private final int jwtLeewaySeconds;

  private volatile Trust trust = new Trust(null, CaTrust.NONE);
  private volatile JwtVerifier customJwt;
  private volatile JwtVerifier oauth2Jwt;
  private volatile WebhookAuthenticator webhook;

  /** The CA certificates of one model version. */
  private record Trust(NamespaceModel model, CaTrust ca) {}

  /**
   * @param models the current namespace model (every node's local snapshot)
   * @param anonymous what to do with CONNECTs that carry no credentials the model judges
   * @param jwtLeewaySeconds clock skew allowed on a token's {@code exp}/{@code nbf}/{@code iat}
   *     ({@code auth.jwt-clock-skew}), for MQTT and HTTP alike
   */
  public NamespaceAuthenticator(
      Supplier<NamespaceModel> models,
      Vertx vertx,
      AnonymousAuthenticator anonymous,
      int jwtLeewaySeconds) {
    this.models = models;
    this.vertx = vertx;
    this.anonymous = anonymous;
    this.jwtLeewaySeconds = jwtLeewaySeconds;
    // a CONNECT storm against a webhook must not queue behind the default five connections
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0),
            new PoolOptions().setHttp1MaxSize(HTTP_CONNECTIONS));
  }

  // ---------------------------------------------------------------- MQTT CONNECT

  @Override
  public Future<AuthResult> authenticate(Credentials c) {
    return onCallersContext(() -> select(model(), c));
  }

  /**
   * Runs {@code work} on the caller's Vert.x context (a new one for a thread without any) and
   * completes there. HTTP exchanges (webhook, JWKS) must start on a context: started from a plain
   * thread, a pooled connection of another event loop delivered the response body before the reader
   * was attached, and it was lost.
   */
  private Future<AuthResult> onCallersContext(
      java.util.function.Supplier<Future<AuthResult>> work) {
    Context caller = vertx.getOrCreateContext();
    if (Vertx.currentContext() == caller) {
      return onContext(caller, safely(work));
    }
    io.vertx.core.Promise<AuthResult> done = io.vertx.core.Promise.promise();
    caller.runOnContext(v -> onContext(caller, safely(work)).onComplete(done));
    return done.future();
  }

  private static Future<AuthResult> safely(java.util.function.Supplier<Future<AuthResult>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<AuthResult> select(NamespaceModel model, Credentials c) {
    NamespaceSettings settings = model.settings();
    String method = c.authMethod();
    if (OAUTH2_JWT.equals(method) && settings.oauth2Jwt() != null) {
      return jwt(oauth2Verifier(settings), text(c.authData()), Authority.ENTRA);
    }
    if (CUSTOM_JWT.equals(method) && settings.customJwt() != null) {
      return jwt(customVerifier(settings), text(c.authData()), Authority.CUSTOM_JWT);
    }
    if (method == null && settings.customJwt() != null && passwordCarriesJwt(c)) {
      return jwt(customVerifier(settings), text(c.password()), Authority.CUSTOM_JWT);
    }
    if (settings.webhook() != null) {
      return webhook(settings.webhook()).authenticate(c);
    }
    if (method != null) {
      return refused(
          AuthResult.Outcome.BAD_METHOD,
          "authentication method '" + method + "' is not configured");
    }
    if (!c.certificateChain().isEmpty() && !model.clients().isEmpty()) {
      return x509(model, c);
    }
    if (settings.passwordAuthentication() && c.password() != null) {
      return password(model, c);
    }
    return anonymous.authenticate(c);
  }

  private static boolean passwordCarriesJwt(Credentials c) {
    if (c.password() == null) {
      return false;
    }
    if (CUSTOM_JWT.equals(c.username())) {
      return true;
    }
    return (c.username() == null || c.username().isEmpty())
        && JwtVerifier.looksLikeJwt(text(c.password()));
  }

  // ---------------------------------------------------------------- HTTP bearer tokens

  /**
   * The token's {@code iss} picks the issuer: the OAUTH2-JWT one first, then the CUSTOM-JWT one.
   */
  @Override
  public Future<AuthResult> authenticateBearer(String token) {
    return onCallersContext(
        () -> {
          NamespaceSettings settings = model().settings();
          String iss = token == null ? null : JwtVerifier.unverifiedIssuer(token);
          if (iss != null
              && settings.oauth2Jwt() != null
              && iss.equals(settings.oauth2Jwt().tokenIssuer())) {
            return jwt(oauth2Verifier(settings), token, Authority.ENTRA);
          }
          if (iss != null
              && settings.customJwt() != null
              && iss.equals(settings.customJwt().tokenIssuer())) {
            return jwt(customVerifier(settings), token, Authority.CUSTOM_JWT);
          }
          return refused(
              AuthResult.Outcome.NOT_AUTHORIZED, iss == null ? "not a JWT" : "invalid issuer");
        });
  }

  // ---------------------------------------------------------------- JWT

  private Future<AuthResult> jwt(JwtVerifier verifier, String token, Authority authority) {
    return verifier
        .verify(token)
        .map(
            check -> {
              if (check.claims() == null) {
                return AuthResult.refused(
                    check.unavailable()
                        ? AuthResult.Outcome.UNAVAILABLE
                        : AuthResult.Outcome.NOT_AUTHORIZED,
                    check.refusal());
              }
              return identityOf(check.claims(), authority, check.validUntilMillis());
            });
  }

  /**
   * The identity a verified token names: {@code sub} for custom JWT (Event Grid's custom JWT
   * authentication); {@code oid} for OAUTH2-JWT (3.5), or {@code sub} when an issuer standing in
   * for Entra ID has no object ids. It expires when the token stops being valid ({@code exp} plus
   * the leeway): the connection ends then.
   */
  static AuthResult identityOf(JsonObject claims, Authority authority, long validUntilMillis) {
    String name =
        authority == Authority.ENTRA
                && claims.getValue("oid") instanceof String oid
                && !oid.isEmpty()
            ? oid
            : claims.getValue("sub") instanceof String sub ? sub : null;
    if (name == null || name.isEmpty()) {
      return AuthResult.refused(
          AuthResult.Outcome.NOT_AUTHORIZED,
          authority == Authority.ENTRA
              ? "token has neither an oid nor a sub claim"
              : "token has no sub claim");
    }
    return AuthResult.allowed(
        new ClientIdentity(
            name,
            ClaimAttributes.of(claims, ClaimAttributes.RESERVED_CLAIMS),
            authority,
            validUntilMillis));
  }

  private JwtVerifier customVerifier(NamespaceSettings settings) {
    JwtIssuer issuer = settings.customJwt();
    List<String> audiences =
        issuer.audiences().isEmpty() ? List.of(settings.hostname()) : issuer.audiences();
    JwtVerifier current = customJwt;
    if (current == null
        || !current.issuer().equals(issuer)
        || !current.audiences().equals(audiences)) {
      current = new JwtVerifier(vertx, http, issuer, audiences, jwtLeewaySeconds);
      customJwt = current;
    }
    return current;
  }

  private JwtVerifier oauth2Verifier(NamespaceSettings settings) {
    JwtIssuer issuer = settings.oauth2Jwt();
    List<String> audiences = issuer.audiences().isEmpty() ? ENTRA_AUDIENCES : issuer.audiences();
    JwtVerifier current = oauth2Jwt;
    if (current == null
        || !current.issuer().equals(issuer)
        || !current.audiences().equals(audiences)) {
      current = new JwtVerifier(vertx, http, issuer, audiences, jwtLeewaySeconds);
      oauth2Jwt = current;
    }
    return current;
  }

  private WebhookAuthenticator webhook(Webhook config) {
    WebhookAuthenticator current = webhook;
    if (current == null || !current.config().equals(config)) {
      current = new WebhookAuthenticator(http, config);
      webhook = current;
    }
    return current;
  }

  // ---------------------------------------------------------------- X.509

  private Future<AuthResult> x509(NamespaceModel model, Credentials c) {
    List<X509Certificate> chain = c.certificateChain();
    X509Certificate leaf = chain.get(0);
    Date now = new Date();
    if (now.before(leaf.getNotBefore())) {
      return refused(AuthResult.Outcome.NOT_AUTHORIZED, "client certificate is not yet valid");
    }
    if (now.after(leaf.getNotAfter())) {
      return refused(AuthResult.Outcome.NOT_AUTHORIZED, "client certificate has expired");
    }
    ClientResource client;
    if (c.username() != null && !c.username().isEmpty()) {
      client = model.clientByAuthenticationName(c.username());
      if (client == null) {
        return refused(
            AuthResult.Outcome.NOT_AUTHORIZED, "client '" + c.username() + "' could not be found");
      }
    } else {
      List<AlternativeNameSource> sources = model.settings().alternativeAuthenticationNameSources();
      if (sources.isEmpty()) {
        return refused(
            AuthResult.Outcome.NOT_AUTHORIZED,
            "CONNECT has no Username and the namespace has no alternative authentication name sources");
      }
      List<String> names = List.of();
      for (AlternativeNameSource source : sources) {
        names = ClientCertificates.alternativeNames(source, leaf);
        if (!names.isEmpty()) {
          break;
        }
      }
      if (names.isEmpty()) {
        return refused(
            AuthResult.Outcome.NOT_AUTHORIZED,
            "no alternative authentication name source yields a name from the client certificate");
      }
      client = null;
      for (String name : names) {
        client = model.clientByAuthenticationName(name);
        if (client != null) {
          break;
        }
      }
      if (client == null) {
        return refused(
            AuthResult.Outcome.NOT_AUTHORIZED, "client '" + names.get(0) + "' could not be found");
      }
    }
    if (!client.enabled()) {
      return refused(
          AuthResult.Outcome.NOT_AUTHORIZED, "client '" + client.name() + "' is disabled");
    }
    ClientIdentity identity =
        new ClientIdentity(
            client.authenticationName(),
            client.attributes(),
            Authority.REGISTRY,
            leaf.getNotAfter().getTime());
    if (client.validationScheme() == ClientResource.ValidationScheme.ThumbprintMatch) {
      return ClientCertificates.thumbprintAllowed(leaf, client.allowedThumbprints())
          ? Future.succeededFuture(AuthResult.allowed(identity))
          : refused(
              AuthResult.Outcome.NOT_AUTHORIZED,
              "client certificate thumbprint is not allowed for client '" + client.name() + "'");
    }
    if (!ClientCertificates.nameMatches(
        client.validationScheme(), leaf, client.authenticationName())) {
      return refused(
          AuthResult.Outcome.NOT_AUTHORIZED,
          "client certificate does not match authentication name '"
              + client.authenticationName()
              + "' ("
              + client.validationScheme()
              + ")");
    }
    String invalid = trust(model).validate(chain, now);
    return invalid == null
        ? Future.succeededFuture(AuthResult.allowed(identity))
        : refused(AuthResult.Outcome.NOT_AUTHORIZED, invalid);
  }

  /** The parsed CA certificates of this model version, parsed once per version. */
  private CaTrust trust(NamespaceModel model) {
    Trust current = trust;
    if (current.model() != model) {
      CaTrust ca =
          current.model() != null && current.model().caCertificates().equals(model.caCertificates())
              ? current.ca()
              : CaTrust.of(model.caCertificates().values());
      current = new Trust(model, ca);
      trust = current;
    }
    return current.ca();
  }

  // ---------------------------------------------------------------- password (extension)

  private Future<AuthResult> password(NamespaceModel model, Credentials c) {
    if (c.username() == null || c.username().isEmpty()) {
      return refused(
          AuthResult.Outcome.BAD_CREDENTIALS, "password authentication needs a Username");
    }
    ClientResource client = model.clientByAuthenticationName(c.username());
    String hash =
        client == null || client.passwordHash() == null
            ? UNKNOWN_CLIENT_HASH
            : client.passwordHash();
    char[] password = chars(c.password());
    return vertx
        .executeBlocking(
            () -> {
              try {
                return PasswordHashes.verify(password, hash);
              } catch (IllegalArgumentException malformed) {
                LOG.warn(
                    "password hash of client {} is unusable: {}",
                    client == null ? "?" : client.name(),
                    malformed.getMessage());
                return false;
              } finally {
                Arrays.fill(password, '\0');
              }
            },
            false)
        .map(
            matches -> {
              if (!matches || client == null || client.passwordHash() == null) {
                return AuthResult.refused(
                    AuthResult.Outcome.BAD_CREDENTIALS, "bad user name or password");
              }
              if (!client.enabled()) {
                return AuthResult.refused(
                    AuthResult.Outcome.NOT_AUTHORIZED,
                    "client '" + client.name() + "' is disabled");
              }
              return AuthResult.allowed(
                  new ClientIdentity(
                      client.authenticationName(), client.attributes(), Authority.REGISTRY, 0));
            });
  }

  // ---------------------------------------------------------------- helpers

  private NamespaceModel model() {
    NamespaceModel model = models.get();
    return model == null ? NamespaceModel.EMPTY : model;
  }

  private static Future<AuthResult> refused(AuthResult.Outcome outcome, String detail) {
    return Future.succeededFuture(AuthResult.refused(outcome, detail));
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private static char[] chars(byte[] bytes) {
    CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    char[] chars = new char[decoded.remaining()];
    decoded.get(chars);
    return chars;
  }

  /** A future that completes on {@code context}, whichever thread completes {@code result}. */
  private static <T> Future<T> onContext(Context context, Future<T> result) {
    if (result.isComplete()) {
      return result;
    }
    Promise<T> promise = Promise.promise();
    result.onComplete(
        ar -> {
          if (Objects.equals(Vertx.currentContext(), context)) {
            promise.handle(ar);
          } else {
            context.runOnContext(v -> promise.handle(ar));
          }
        });
    return promise.future();
  }
}
