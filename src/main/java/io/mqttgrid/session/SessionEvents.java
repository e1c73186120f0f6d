package io.mqttgrid.session;

/** What sessions report to the rest of the broker (metrics, and the manager for overflow). */
public interface SessionEvents {

  /** A persistent session stayed offline for its whole Session Expiry Interval. */
  String ENDED_SESSION_EXPIRY = "SessionExpiry";

  /** A session that lasts no longer than its connection (clean session, expiry 0) ended with it. */
  String ENDED_TRANSIENT_SESSION = "TransientSession";

  /**
   * A session ended for {@code reason} ({@link #ENDED_SESSION_EXPIRY}, {@link
   * #ENDED_TRANSIENT_SESSION}): Event Grid's DroppedSessions reasons. Overflow is {@link
   * #overflowed}.
   */
  default void ended(String reason) {}

  /** A message was not delivered to {@code clientId}, for {@code reason}. */
  void dropped(String clientId, String reason);

  /** A session's queue overflowed under the terminate-session policy. */
  void overflowed(Session session);

  /** A session found its queue owned by a newer connection of the same client: it is stale here. */
  default void moved(Session session) {}
}
