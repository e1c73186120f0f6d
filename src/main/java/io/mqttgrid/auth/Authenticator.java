package io.mqttgrid.auth;

import io.vertx.core.Future;

/** Checks a CONNECT's credentials. Called on the connection's event loop: never blocks. */
public interface Authenticator {

  Future<AuthResult> authenticate(Credentials credentials);
}
