package io.mqttgrid.session;

import static io.mqttgrid.session.SessionManager.onContextOf;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adoption after node loss (docs/architecture.md, "Connect, takeover and node loss"): the oldest
 * survivor takes over the sessions whose records name the departed node as owner, as offline
 * sessions of its own, so that their queues keep filling, their wills go out and their expiry runs.
 * A client that is back already (here or on another node) keeps its session where it is.
 */
final class SessionAdoption {

  private static final Logger LOG = LoggerFactory.getLogger(SessionAdoption.class);

  private final Vertx vertx;
  private final String nodeId;
  private final SessionStore store;
  private final MessageRouter router;
  private final SessionLimits limits;
  private final OutboundBudget.Totals outbound;
  private final SessionEvents events;
  private final Map<String, Session> sessions;
  private final SessionWills wills;
  private final SessionExpiry expiries;

  /** {@code sessions}: the sessions of this node, by client id (the manager's live map). */
  SessionAdoption(
      Vertx vertx,
      String nodeId,
      SessionStore store,
      MessageRouter router,
      SessionLimits limits,
      OutboundBudget.Totals outbound,
      SessionEvents events,
      Map<String, Session> sessions,
      SessionWills wills,
      SessionExpiry expiries) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.store = store;
    this.router = router;
    this.limits = limits;
    this.outbound = outbound;
    this.events = events;
    this.sessions = sessions;
    this.wills = wills;
    this.expiries = expiries;
  }

  /**
   * A node left the cluster and this node is the oldest survivor: it takes over the sessions the
   * departed node hosted: session state is replicated, not held in one node's memory alone. Each
   * becomes an offline session here, with its subscriptions (so its queue keeps filling), its will
   * sent after the will delay if its client was connected there, and its expiry running. Answers
   * how many sessions were adopted.
   */
  Future<Integer> adoptSessionsOf(String deadNode) {
    long now = System.currentTimeMillis();
    Context context = vertx.getOrCreateContext();
    return store
        .purgeConnections(deadNode)
        .recover(
            e -> {
              LOG.warn("connection records of {} not purged: {}", deadNode, e.toString());
              return Future.succeededFuture();
            })
        .compose(v -> store.ownedBy(deadNode))
        .compose(
            records -> {
              List<Future<Boolean>> all = new ArrayList<>(records.size());
              for (SessionRecord r : records) {
                all.add(
                    adoptOne(
                        r.clientId(),
                        () -> store.adopt(r.clientId(), deadNode, nodeId, now),
                        now,
                        context));
              }
              // done only when every node routes the adopted subscriptions here: the caller then
              // purges the
              // departed node's routes, and a publish in between would find no route at all and be
              // acknowledged
              // "no matching subscribers" for a session that exists
              return Future.join(all)
                  .compose(x -> router.routesAnnounced())
                  .map(x -> (int) all.stream().filter(f -> f.succeeded() && f.result()).count());
            })
        .onSuccess(n -> LOG.info("took over {} sessions of departed node {}", n, deadNode));
  }

  /**
   * The first node of a cluster started against a state database that holds sessions brings them
   * back before it reports ready: each becomes an offline session of this node, as after {@link
   * #adoptSessionsOf} (its subscriptions route here, its queue keeps filling, its expiry runs on
   * from when it went offline; a session whose client was connected when the cluster went down is
   * offline from now, and its will goes out after its will delay). Answers how many came back.
   */
  Future<Integer> restoreStored() {
    long now = System.currentTimeMillis();
    Context context = vertx.getOrCreateContext();
    return store
        .all()
        .compose(
            records -> {
              List<Future<Boolean>> all = new ArrayList<>(records.size());
              for (SessionRecord r : records) {
                all.add(
                    adoptOne(
                        r.clientId(),
                        () -> store.restore(r.clientId(), r.connectionId(), nodeId, now),
                        now,
                        context));
              }
              return Future.join(all)
                  .compose(x -> router.routesAnnounced())
                  .map(x -> (int) all.stream().filter(f -> f.succeeded() && f.result()).count());
            });
  }

  private Future<Boolean> adoptOne(
      String clientId,
      java.util.function.Supplier<Future<SessionRecord>> takeRecord,
      long now,
      Context context) {
    if (sessions.containsKey(clientId)) {
      return Future.succeededFuture(false); // its client is back, here
    }
    return takeRecord
        .get()
        .compose(
            before -> {
              if (before == null) {
                return Future.succeededFuture(false); // its client is back, elsewhere
              }
              boolean wasConnected = before.connected();
              PublishedMessage will = before.will();
              long expiry = before.expirySeconds();
              if (expiry == 0) {
                // a session that ended with its connection: only its will is left to send
                if (wasConnected && will != null) {
                  wills.publishWill(clientId, will);
                }
                store.deleteIfOwnedBy(clientId, before.connectionId());
                return Future.succeededFuture(true);
              }
              Session session =
                  new Session(
                      clientId,
                      true,
                      before.connectionId(),
                      context,
                      vertx,
                      store,
                      router,
                      limits,
                      outbound,
                      events);
              session.recordStored(true);
              session.expirySeconds(expiry);
              session.will(will, before.willDelaySeconds());
              if (sessions.putIfAbsent(clientId, session) != null) {
                return Future.succeededFuture(false);
              }
              long offlineSince = wasConnected ? now : before.disconnectedAtMillis();
              // adopted once its subscriptions route here, not when it is merely listed (see
              // adoptSessionsOf)
              return onContextOf(
                  session,
                  () -> {
                    session.startOffline(before.subscriptions());
                    if (wasConnected && will != null) {
                      wills.scheduleWill(
                          session, will, Math.min(before.willDelaySeconds(), expiry));
                    }
                    if (expiry != SessionRecord.NEVER_EXPIRES) {
                      expiries.scheduleExpiry(
                          session, expiry * 1000L - (System.currentTimeMillis() - offlineSince));
                    }
                    return Future.succeededFuture(true);
                  });
            });
  }
}
