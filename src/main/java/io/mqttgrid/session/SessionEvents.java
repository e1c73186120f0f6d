package io.mqttgrid.session;

/** What sessions report to the rest of the broker (metrics, and the manager for overflow). */
public interface SessionEvents {

  /** A message was not delivered to {@code clientId}, for {@code reason}. */
  void dropped(String clientId, String reason);

  /** A session's queue overflowed under the terminate-session policy. */
  void overflowed(Session session);

  /** A session found its queue owned by a newer connection of the same client: it is stale here. */
  default void moved(Session session) {}
}
