package io.mqttgrid.session;

import static io.mqttgrid.session.SessionManager.onContextOf;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takeover (MQTT 5 section 3.1.4): a new connection of a client whose session lives on, here or on
 * another node. The old connection steps down first (its connection closes, its will is handled),
 * then, once the new session is set up, the old copy retires (stops routing and flushes its store
 * writes), in two phases across nodes over {@link RemoteSessions}. {@link SessionManager#connect}
 * drives the order; this class does the steps, on this node's side and, through {@link
 * RemoteSessions}, on the old owner's.
 */
final class SessionTakeover {

  private static final Logger LOG = LoggerFactory.getLogger(SessionTakeover.class);

  private final String nodeId;
  private final SessionStore store;
  private final Map<String, Session> sessions;
  private final SessionWills wills;
  private volatile RemoteSessions remote = RemoteSessions.NONE;

  /** {@code sessions}: the sessions of this node, by client id (the manager's live map). */
  SessionTakeover(
      String nodeId, SessionStore store, Map<String, Session> sessions, SessionWills wills) {
    this.nodeId = nodeId;
    this.store = store;
    this.sessions = sessions;
    this.wills = wills;
  }

  /** The other nodes' sessions, for takeovers across nodes. Set once at start. */
  void remoteSessions(RemoteSessions remoteSessions) {
    this.remote = remoteSessions;
  }

  /**
   * Where a session lives on another node, if it does: the node of the connection record, else the
   * record's owner; null when that is this node or a node no longer in the cluster (its sessions
   * are adopted).
   */
  String remoteOwner(String previousConnection, SessionRecord record) {
    String candidate = null;
    if (previousConnection != null && previousConnection.contains("|")) {
      candidate = previousConnection.substring(0, previousConnection.indexOf('|'));
    }
    if ((candidate == null || candidate.equals(nodeId)) && record != null) {
      candidate = record.ownerNode();
    }
    return candidate == null || candidate.equals(nodeId) || !remote.isAlive(candidate)
        ? null
        : candidate;
  }

  /**
   * Whether the copy of a session on {@code owner} (see {@link #remoteOwner}) serves a connection,
   * as the connection record this connect replaced says: then it steps down first (its connection
   * closes). An offline copy (its client left, or it was adopted from a departed node) has no
   * connection to close, so it is only retired, once the new copy routes (see {@link #retireOld}):
   * a takeover then waits for no answer from a node that may be busy adopting thousands of
   * sessions.
   */
  static boolean connectedThere(String previousConnection, String owner) {
    return owner != null && SessionEntryChanges.connectedTo(previousConnection, owner);
  }

  /**
   * Asks the node that hosts {@code clientId} to step down. When it does not answer (it may be
   * stopping, or gone, and a survivor may have adopted the session meanwhile), looks again at who
   * owns the session now and asks that node, a few times at most. Answers the node that stepped
   * down, or null when none has to.
   */
  Future<String> stepDownRemote(
      String clientId, boolean sessionContinues, String node, int retries) {
    if (node == null) {
      return Future.succeededFuture();
    }
    return remote
        .stepDown(node, clientId, sessionContinues)
        .map(node)
        .recover(
            e -> {
              LOG.warn("client {}: node {} did not step down ({})", clientId, node, e.toString());
              return store
                  .load(clientId)
                  .compose(
                      r -> {
                        String owner = r == null ? null : remoteOwner(null, r);
                        if (owner == null || retries == 0) {
                          return Future.succeededFuture(owner);
                        }
                        return stepDownRemote(clientId, sessionContinues, owner, retries - 1);
                      });
            });
  }

  /**
   * The old session stops routing and flushes, here and on the node that hosted it; there, a copy
   * that did not step down first (it had no connection) handles its will as a step-down would.
   */
  Future<Void> retireOld(
      Session old, String remoteOwner, String clientId, boolean sessionContinues) {
    Future<Void> local = Future.succeededFuture();
    if (old != null) {
      sessions.remove(clientId, old);
      local = onContextOf(old, old::retire);
    }
    if (remoteOwner == null) {
      return local;
    }
    return local.compose(
        x ->
            remote
                .retire(remoteOwner, clientId, sessionContinues)
                .recover(
                    e -> {
                      LOG.warn(
                          "client {}: node {} did not retire the old session: {}",
                          clientId,
                          remoteOwner,
                          e.toString());
                      return Future.succeededFuture();
                    }));
  }

  /**
   * The record this connect saved over ({@code before}) named another live node than the one
   * already retired ({@code retired}) as the owner of an offline copy: a survivor adopted the
   * session after this connect read the record, and its copy retires once every node routes this
   * one ({@code routesAnnounced}; a copy retired there already, or never listed, changes nothing).
   * A record that names a connection belongs to a connect racing this one, which steps this one
   * down or is stepped down itself.
   */
  Future<Void> retireAdopted(
      SessionRecord before,
      String retired,
      String clientId,
      java.util.function.Supplier<Future<Void>> routesAnnounced) {
    String formerOwner = before == null ? null : before.ownerNode();
    if (formerOwner == null
        || before.connected()
        || formerOwner.equals(nodeId)
        || formerOwner.equals(retired)
        || !remote.isAlive(formerOwner)) {
      return Future.succeededFuture();
    }
    return routesAnnounced.get().compose(x -> retireOld(null, formerOwner, clientId, true));
  }

  /** Another node takes over {@code clientId}: close its connection here (first phase). */
  Future<Void> stepDownLocal(String clientId, boolean sessionContinues) {
    Session s = sessions.get(clientId);
    return s == null ? Future.succeededFuture() : stepDown(s, sessionContinues);
  }

  /**
   * Another node now serves {@code clientId}: stop routing to the old session here (second phase).
   * A copy that was not asked to step down first (it was offline) steps down now, in the same turn.
   */
  Future<Void> retireLocal(String clientId, boolean sessionContinues) {
    Session s = sessions.get(clientId);
    if (s == null || !sessions.remove(clientId, s)) {
      return Future.succeededFuture();
    }
    return onContextOf(
        s,
        () -> {
          stepDownHere(s, sessionContinues);
          return s.retire();
        });
  }

  /**
   * The old connection of a session that a new CONNECT takes over: close it (DISCONNECT 0x8E), and
   * handle its will as MQTT 5 section 3.1.3.2.2 says (a continued session cancels a delayed will).
   */
  Future<Void> stepDown(Session old, boolean sessionContinues) {
    return onContextOf(
        old,
        () -> {
          stepDownHere(old, sessionContinues);
          return Future.succeededFuture();
        });
  }

  /** {@link #stepDown}, on the session's context. Once stepped down, again changes nothing. */
  private void stepDownHere(Session old, boolean sessionContinues) {
    boolean wasConnected =
        old.state() == Session.State.ONLINE || old.state() == Session.State.ATTACHING;
    if (wasConnected) {
      old.closeChannel(ClientChannel.EndCause.SESSION_TAKEN_OVER);
      old.detach();
      WillAndExpiry end = old.willAndExpiry();
      PublishedMessage will = end.will();
      if (will != null && (!sessionContinues || end.willDelaySeconds() == 0 || !old.persistent())) {
        wills.publishWill(old.clientId(), will);
      }
    } else {
      PublishedMessage pendingWill = old.willAndExpiry().cancelWill();
      if (pendingWill != null && !sessionContinues) {
        wills.publishWill(old.clientId(), pendingWill);
      }
    }
    old.willAndExpiry().cancelExpiry();
  }
}
