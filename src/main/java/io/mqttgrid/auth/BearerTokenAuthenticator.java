package io.mqttgrid.auth;

import io.vertx.core.Future;

/**
 * Checks a JWT presented as {@code Authorization: Bearer} on the HTTP APIs (Event Grid's HTTP
 * bearer authentication) against the namespace's OAUTH2-JWT and CUSTOM-JWT issuers. Called on an
 * event loop: never blocks.
 */
public interface BearerTokenAuthenticator {

  /**
   * ALLOWED with the identity; BAD_CREDENTIALS / NOT_AUTHORIZED for a bad token; UNAVAILABLE on
   * failure.
   */
  Future<AuthResult> authenticateBearer(String token);
}
