package io.mqttgrid.auth;

/**
 * The answer to a CONNECT's credentials.
 *
 * @param authenticationName the identity the namespace model knows the client by (null when refused)
 */
public record AuthResult(Outcome outcome, String authenticationName, String detail) {

  public enum Outcome { ALLOWED, BAD_CREDENTIALS, NOT_AUTHORIZED, BAD_METHOD, UNAVAILABLE }

  public static AuthResult allowed(String authenticationName) {
    return new AuthResult(Outcome.ALLOWED, authenticationName, null);
  }

  public static AuthResult refused(Outcome outcome, String detail) {
    return new AuthResult(outcome, null, detail);
  }

  public boolean isAllowed() {
    return outcome == Outcome.ALLOWED;
  }
}
