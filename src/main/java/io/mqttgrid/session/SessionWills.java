package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wills (MQTT 5 section 3.1.3.2): sent when a connection ends without a normal DISCONNECT, at once
 * or after the will delay unless the session resumes first, through the same publish path as any
 * message. Which session events send a will (takeover, expiry, adoption) is decided where they
 * happen; this class sends.
 */
final class SessionWills {

  private static final Logger LOG = LoggerFactory.getLogger(SessionWills.class);

  private final Map<String, Session> sessions;
  private volatile Function<PublishedMessage, Future<?>> willPublisher =
      m -> Future.succeededFuture();

  /** {@code sessions}: the sessions of this node, by client id (the manager's live map). */
  SessionWills(Map<String, Session> sessions) {
    this.sessions = sessions;
  }

  /** Where wills go: the same publish path as any message. Set once at start. */
  void willPublisher(Function<PublishedMessage, Future<?>> publisher) {
    this.willPublisher = publisher;
  }

  /**
   * The will of a connection that ended: at once, or after its delay unless the session resumes
   * first.
   */
  void scheduleWill(Session session, PublishedMessage will, long delaySeconds) {
    if (delaySeconds <= 0) {
      publishWill(session.clientId(), will);
      return;
    }
    session
        .willAndExpiry()
        .armWill(
            delaySeconds * 1000L,
            () -> {
              if (sessions.get(session.clientId()) == session
                  && session.state() == Session.State.OFFLINE) {
                publishWill(session.clientId(), will);
              }
            });
  }

  void publishWill(String clientId, PublishedMessage will) {
    // the will was built at CONNECT; its Message Expiry Interval runs from when it is sent (MQTT 5
    // 3.1.3.2.4)
    willPublisher
        .apply(will.publishedAt(System.currentTimeMillis()))
        .onFailure(
            e ->
                LOG.warn(
                    "will of {} on '{}' was not published: {}",
                    clientId,
                    will.topic(),
                    e.toString()));
  }
}
