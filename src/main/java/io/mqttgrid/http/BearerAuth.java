package io.mqttgrid.http;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.auth.AuthResult;
import io.mqttgrid.auth.BearerTokenAuthenticator;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

/**
 * {@code Authorization: Bearer <JWT>} on the HTTP API (Event Grid's HTTP bearer authentication):
 * the token is checked by the namespace's issuers; a missing, malformed, expired or wrongly signed
 * token is a 401 with a {@code WWW-Authenticate: Bearer} challenge (RFC 6750), an authenticator
 * that cannot decide (an issuer's keys unreachable) a 503.
 */
final class BearerAuth {

  private static final String SCHEME = "Bearer ";

  private final BearerTokenAuthenticator authenticator;

  BearerAuth(BearerTokenAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  /** The caller's identity, or a failed future with an {@link ApiException}. */
  Future<ClientIdentity> authenticate(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      return Future.failedFuture(
          ApiException.unauthorized("an 'Authorization: Bearer <token>' header is required")
              .header("WWW-Authenticate", "Bearer"));
    }
    String value = header.trim();
    if (value.length() <= SCHEME.length()
        || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return Future.failedFuture(
          ApiException.unauthorized("the Authorization header must use the Bearer scheme")
              .header("WWW-Authenticate", "Bearer"));
    }
    String token = value.substring(SCHEME.length()).trim();
    return authenticator
        .authenticateBearer(token)
        .recover(
            e ->
                Future.failedFuture(
                    new ApiException(
                        503,
                        "ServiceUnavailable",
                        "the token could not be checked: " + e.getMessage())))
        .compose(BearerAuth::identity);
  }

  private static Future<ClientIdentity> identity(AuthResult result) {
    if (result.isAllowed() && result.identity() != null) {
      ClientIdentity id = result.identity();
      if (id.expiresAtMillis() != 0 && id.expiresAtMillis() <= System.currentTimeMillis()) {
        return Future.failedFuture(invalidToken("the token has expired"));
      }
      return Future.succeededFuture(id);
    }
    if (result.outcome() == AuthResult.Outcome.UNAVAILABLE) {
      return Future.failedFuture(
          new ApiException(
                  503,
                  "ServiceUnavailable",
                  "the token could not be checked now"
                      + (result.detail() == null ? "" : ": " + result.detail()))
              .header("Retry-After", "5"));
    }
    return Future.failedFuture(
        invalidToken(result.detail() == null ? "the token was refused" : result.detail()));
  }

  private static ApiException invalidToken(String detail) {
    // the description goes into a quoted-string: no quotes or backslashes, printable ASCII only
    // (RFC 6750 3)
    String description =
        detail.replaceAll("[^\\x20-\\x7E]", "?").replace('"', '\'').replace('\\', '/');
    return ApiException.unauthorized(detail)
        .header(
            "WWW-Authenticate",
            "Bearer error=\"invalid_token\", error_description=\"" + description + "\"");
  }
}
