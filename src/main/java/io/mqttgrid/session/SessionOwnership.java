package io.mqttgrid.session;

import io.vertx.core.Future;

/**
 * Which authentication name owns each session name (client id), cluster-wide, for the session rules
 * of Event Grid's session rules: a session bound to one authentication name cannot be taken by
 * another, and one authentication name holds at most N sessions, online and offline together. An
 * owner entry lives as long as the session does. The broker's implementation is {@code
 * io.mqttgrid.hazelcast.HazelcastSessionOwnership}.
 */
public interface SessionOwnership {

  enum Claim {
    OK,
    OWNED_BY_OTHER,
    QUOTA_EXCEEDED
  }

  /**
   * Binds {@code clientId} to {@code authenticationName} (case-insensitive) unless another name
   * owns it or the name already holds {@code maxSessions} other sessions; two concurrent claims
   * cannot both take the last place.
   */
  Future<Claim> claim(String clientId, String authenticationName, int maxSessions);
}
