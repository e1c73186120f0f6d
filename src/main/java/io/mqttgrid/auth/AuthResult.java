package io.mqttgrid.auth;

import io.mqttgrid.access.ClientIdentity;

/**
 * The answer to a CONNECT's credentials (or an HTTP bearer token).
 *
 * @param identity who the client is; null when refused
 * @param detail why it was refused, for the operator's log (never a secret)
 */
public record AuthResult(Outcome outcome, ClientIdentity identity, String detail) {

  public enum Outcome {
    ALLOWED,
    BAD_CREDENTIALS,
    NOT_AUTHORIZED,
    BAD_METHOD,
    UNAVAILABLE
  }

  public static AuthResult allowed(ClientIdentity identity) {
    return new AuthResult(Outcome.ALLOWED, identity, null);
  }

  public static AuthResult refused(Outcome outcome, String detail) {
    return new AuthResult(outcome, null, detail);
  }

  public boolean isAllowed() {
    return outcome == Outcome.ALLOWED;
  }

  public String authenticationName() {
    return identity == null ? null : identity.authenticationName();
  }
}
