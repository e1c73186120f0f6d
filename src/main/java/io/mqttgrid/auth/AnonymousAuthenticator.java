package io.mqttgrid.auth;

import io.mqttgrid.access.ClientIdentity;
import io.vertx.core.Future;

/**
 * The only authentication of a broker without a namespace model: anonymous clients, let in
 * everywhere, nowhere, or (the development default) only over loopback. The client id is the
 * authentication name.
 */
public final class AnonymousAuthenticator implements Authenticator {

  /** Who may connect without credentials. */
  public enum Access {
    LOOPBACK_ONLY,
    ALLOW,
    DENY
  }

  private final Access access;

  public AnonymousAuthenticator(Access access) {
    this.access = access;
  }

  @Override
  public Future<AuthResult> authenticate(Credentials c) {
    if (c.authMethod() != null) {
      return Future.succeededFuture(
          AuthResult.refused(
              AuthResult.Outcome.BAD_METHOD,
              "authentication method '" + c.authMethod() + "' is not configured"));
    }
    boolean allowed =
        switch (access) {
          case ALLOW -> true;
          case DENY -> false;
          case LOOPBACK_ONLY -> c.remoteLoopback();
        };
    if (!allowed) {
      return Future.succeededFuture(
          AuthResult.refused(
              AuthResult.Outcome.NOT_AUTHORIZED,
              access == Access.LOOPBACK_ONLY
                  ? "anonymous access is allowed from loopback only"
                  : "anonymous access is disabled"));
    }
    String name = c.username() != null && !c.username().isEmpty() ? c.username() : c.clientId();
    return Future.succeededFuture(AuthResult.allowed(ClientIdentity.anonymous(name)));
  }
}
