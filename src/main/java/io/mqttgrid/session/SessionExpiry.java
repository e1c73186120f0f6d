package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session expiry (MQTT 5 section 3.1.2.11): a persistent session that stays offline for its whole
 * Session Expiry Interval ends, with its will if one is still waiting, and the store forgets it. A
 * reconnect before then finds the session no longer offline (or no longer this one), and the timer
 * does nothing.
 */
final class SessionExpiry {

  private static final Logger LOG = LoggerFactory.getLogger(SessionExpiry.class);

  private final Map<String, Session> sessions;
  private final SessionStore store;
  private final SessionWills wills;
  private final SessionEvents events;

  /** {@code sessions}: the sessions of this node, by client id (the manager's live map). */
  SessionExpiry(
      Map<String, Session> sessions, SessionStore store, SessionWills wills, SessionEvents events) {
    this.sessions = sessions;
    this.store = store;
    this.wills = wills;
    this.events = events;
  }

  void scheduleExpiry(Session session, long millis) {
    session.willAndExpiry().armExpiry(Math.max(1, millis), () -> expire(session));
  }

  /**
   * A persistent session stayed offline for its whole expiry interval: it ends, with its will if
   * pending.
   */
  private void expire(Session session) {
    session.onContext(
        () -> {
          if (session.state() != Session.State.OFFLINE
              || !sessions.remove(session.clientId(), session)) {
            return;
          }
          PublishedMessage will = session.willAndExpiry().cancelWill();
          if (will != null) {
            wills.publishWill(session.clientId(), will);
          }
          session
              .retire()
              .onComplete(v -> store.deleteIfOwnedBy(session.clientId(), session.connectionId()));
          events.ended(SessionEvents.ENDED_SESSION_EXPIRY);
          LOG.debug("session {} expired", session.clientId());
        });
  }
}
