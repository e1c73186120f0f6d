package io.mqttgrid.session;

import io.mqttgrid.ids.CountingUuids;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions of this node: connect (new, resumed or taken over), disconnect, wills and expiry
 * (MQTT 5 sections 3.1.2.4, 3.1.3.2, 4.1). One connect at a time per client id on this node; the
 * session record in the {@link SessionStore} is the truth a reconnecting device finds, on this node
 * or another.
 *
 * <p>The manager holds the sessions and decides, for each event, what happens; the steps of one
 * concern are in their own class: {@link SessionTakeover} (step-down and retirement of an older
 * connection, here or on another node), {@link SessionWills}, {@link SessionExpiry}, {@link
 * SessionAdoption} (the sessions of a departed node). Graceful shutdown stays here: it is the
 * manager's own life cycle and shares the gate that refuses new connects.
 */
public final class SessionManager {

  private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);

  /** What a CONNECT asks of the session layer, after the MQTT layer validated and capped it. */
  public record ConnectRequest(
      String clientId,
      boolean cleanStart,
      long expirySeconds,
      int protocolVersion,
      PublishedMessage will,
      long willDelaySeconds) {}

  /** The session a connection now serves, whether it existed before, and what it must resend. */
  public record Attached(
      Session session,
      boolean sessionPresent,
      List<QueuedMessage> queued,
      java.util.Set<Integer> awaitingRelease) {}

  private final Vertx vertx;
  private final String nodeId;
  private final SessionStore store;
  private final MessageRouter router;
  private final SessionLimits limits;
  private final SessionEvents events;
  private final OutboundBudget.Totals outbound = new OutboundBudget.Totals();
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final SessionWills wills;
  private final SessionExpiry expiries;
  private final SessionAdoption adoption;
  private final SessionTakeover takeover;
  private final Map<String, Future<?>> connectsInProgress = new HashMap<>();
  private final CountingUuids connectionIds = new CountingUuids();
  private volatile boolean shuttingDown;

  public SessionManager(
      Vertx vertx,
      String nodeId,
      SessionStore store,
      MessageRouter router,
      SessionLimits limits,
      SessionEvents events) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.store = store;
    this.router = router;
    this.limits = limits;
    this.wills = new SessionWills(sessions);
    this.takeover = new SessionTakeover(nodeId, store, sessions, wills);
    this.events =
        new SessionEvents() {
          @Override
          public void dropped(String clientId, String reason) {
            events.dropped(clientId, reason);
          }

          @Override
          public void ended(String reason) {
            events.ended(reason);
          }

          @Override
          public void overflowed(Session session) {
            events.overflowed(session);
            terminate(session);
          }

          @Override
          public void moved(Session session) {
            retireStale(session);
          }
        };
    this.expiries = new SessionExpiry(sessions, store, wills, this.events);
    this.adoption =
        new SessionAdoption(
            vertx, nodeId, store, router, limits, outbound, this.events, sessions, wills, expiries);
  }

  /** The other nodes' sessions, for takeovers across nodes. Set once at start. */
  public void remoteSessions(RemoteSessions remoteSessions) {
    takeover.remoteSessions(remoteSessions);
  }

  /** Where wills go: the same publish path as any message. Set once at start. */
  public void willPublisher(Function<PublishedMessage, Future<?>> publisher) {
    wills.willPublisher(publisher);
  }

  public SessionStore store() {
    return store;
  }

  public int size() {
    return sessions.size();
  }

  public long onlineCount() {
    return sessions.values().stream().filter(Session::isOnline).count();
  }

  /** The session of {@code clientId} served by this node, or null. */
  public Session local(String clientId) {
    return sessions.get(clientId);
  }

  /** Bytes the sessions of this node hold waiting for room in their clients' windows or sockets. */
  public long outboundWaitingBytes() {
    return outbound.waiting.sum();
  }

  /** Bytes of the messages this node's sessions sent and their clients have not acknowledged. */
  public long outboundInflightBytes() {
    return outbound.inflight.sum();
  }

  /**
   * Bytes of PUBLISH packets written to this node's client sockets and not yet written out by them.
   */
  public long outboundSocketBytes() {
    return outbound.socket.sum();
  }

  /**
   * Binds a new connection to its session. Runs on the connection's context; the session it returns
   * lives on that context. The caller sends CONNACK, then calls {@link #attach}.
   */
  public Future<Attached> connect(ConnectRequest req) {
    if (shuttingDown) {
      return Future.failedFuture(new IllegalStateException("node is shutting down"));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Attached> result = Promise.promise();
    Future<?> previous;
    synchronized (connectsInProgress) {
      previous = connectsInProgress.get(req.clientId());
      Future<?> mine = result.future();
      connectsInProgress.put(req.clientId(), mine);
      mine.onComplete(
          ar -> {
            synchronized (connectsInProgress) {
              connectsInProgress.remove(req.clientId(), mine);
            }
          });
    }
    if (previous == null && Vertx.currentContext() == context) {
      // the usual connect: nothing to wait for, and already on the connection's context (no hop
      // through its task queue; issue: CPU per connect)
      doConnect(req, context).onComplete(result);
      return result.future();
    }
    Future<?> before =
        previous == null
            ? Future.succeededFuture()
            : previous.recover(e -> Future.succeededFuture());
    before.onComplete(v -> context.runOnContext(x -> doConnect(req, context).onComplete(result)));
    return result.future();
  }

  private Future<Attached> doConnect(ConnectRequest req, Context context) {
    String clientId = req.clientId();
    String connectionId = connectionIds.next();
    boolean persistent = req.expirySeconds() > 0;
    // a record is kept for a session that outlives its connection, and for one with a will: if this
    // node dies, a survivor finds it and sends the will
    boolean stored = persistent || req.will() != null;
    Session old = sessions.get(clientId);
    String[] remoteOwner = {null};
    boolean[] connectedThere = {false};
    // nothing to discard for Clean Start: no connection claimed the id and no record was found
    boolean[] nothingStored = {false};
    return store
        .claimConnection(clientId, nodeId, connectionId)
        .compose(
            previousConnection ->
                store
                    .load(clientId)
                    .map(
                        r -> {
                          remoteOwner[0] = takeover.remoteOwner(previousConnection, r);
                          connectedThere[0] =
                              SessionTakeover.connectedThere(previousConnection, remoteOwner[0]);
                          nothingStored[0] = previousConnection == null && r == null;
                          return r;
                        }))
        .compose(
            r ->
                (old == null
                        ? Future.<Void>succeededFuture()
                        : takeover.stepDown(old, !req.cleanStart()))
                    .compose(
                        x ->
                            connectedThere[0]
                                ? takeover.stepDownRemote(
                                    clientId, !req.cleanStart(), remoteOwner[0], 2)
                                : Future.succeededFuture(remoteOwner[0]))
                    .map(
                        owner -> {
                          remoteOwner[0] = owner;
                          return null;
                        }))
        .compose(
            v -> {
              if (req.cleanStart()) {
                if (old == null && nothingStored[0]) {
                  // the usual device connect: two store round trips fewer (issue: CPU per connect).
                  // A connect racing this one from another node claims the id first (and is
                  // then taken over by this one) or after (and takes this one over), so nothing
                  // can have been stored meanwhile that this connection must discard
                  return Future.succeededFuture((SessionRecord) null);
                }
                return takeover
                    .retireOld(old, remoteOwner[0], clientId, false)
                    .compose(x -> store.delete(clientId))
                    .map(x -> (SessionRecord) null);
              }
              // read after the old owner stepped down: its last subscription changes are in
              return store
                  .load(clientId)
                  .map(r -> r != null && r.isExpired(System.currentTimeMillis()) ? null : r);
            })
        .compose(
            record -> {
              Session session =
                  new Session(
                      clientId,
                      persistent,
                      connectionId,
                      context,
                      vertx,
                      store,
                      router,
                      limits,
                      outbound,
                      events);
              session.recordStored(stored);
              session.willAndExpiry(req.expirySeconds(), req.will(), req.willDelaySeconds());
              boolean present = record != null;
              // the queue is this connection's from now on: what an older incarnation of the
              // session (on this node or another, stepping down or stale) still appends is refused,
              // so its publisher retries and reaches this session. Claimed before this session is
              // routed to; what reaches it before the claim is done waits for it (stored by an
              // owner that is not yet this connection, it would be refused)
              Future<List<QueuedMessage>> claimed = null;
              Future<Void> inOrder = null;
              Session current = null;
              if (persistent) {
                session.holdStores();
                current = sessions.get(clientId);
                if (current != null) {
                  current.handOverTo(session);
                }
                claimed = store.claimQueue(clientId, connectionId, !present);
                inOrder = session.storeAfter(claimed);
              }
              if (present) {
                session.restoreSubscriptions(record.subscriptions());
              }
              Session replaced = sessions.put(clientId, session);
              if (replaced != null && replaced != session) {
                replaced.supersede();
              }
              if (current != null && current != replaced) {
                // removed from the map meanwhile (retired, expired): its successor waits for it
                current.supersede();
              }
              // a copy an adoption listed here after this connect began: superseded above, it must
              // also stop (its timers, its routes), as a copy found at the start does
              Session listedMeanwhile = replaced != old ? replaced : null;
              if (shuttingDown) {
                // shutdown() may have passed over this session already: it must not be served
                sessions.remove(clientId, session);
                session.retire();
                return Future.failedFuture(new IllegalStateException("node is shutting down"));
              }
              // a session that continues on another node: the old copy stops routing only once
              // every node routes
              // the new one's subscriptions (restored above), else a publish in between finds no
              // route and is
              // acknowledged "no matching subscribers" for a session that exists
              Future<Void> oldGone =
                  (req.cleanStart()
                          ? Future.<Void>succeededFuture()
                          : remoteOwner[0] == null
                              ? takeover.retireOld(old, null, clientId, true)
                              : router
                                  .routesAnnounced()
                                  .compose(
                                      x -> takeover.retireOld(old, remoteOwner[0], clientId, true)))
                      .compose(
                          x ->
                              listedMeanwhile == null
                                  ? Future.succeededFuture()
                                  : takeover
                                      .stepDown(listedMeanwhile, !req.cleanStart())
                                      .compose(
                                          y ->
                                              takeover.retireOld(
                                                  listedMeanwhile,
                                                  null,
                                                  clientId,
                                                  !req.cleanStart())));
              Future<List<QueuedMessage>> queued;
              if (!persistent && stored && !present) {
                queued =
                    Future.all(
                            oldGone,
                            store.save(
                                new SessionRecord(
                                        clientId, req.protocolVersion(), 0, nodeId, connectionId)
                                    .will(req.will(), req.willDelaySeconds())))
                        .map(List.of());
              } else if (persistent) {
                SessionRecord r =
                    new SessionRecord(
                            clientId,
                            req.protocolVersion(),
                            req.expirySeconds(),
                            nodeId,
                            connectionId)
                        .subscriptions(session.subscriptions())
                        .will(req.will(), req.willDelaySeconds());
                if (present) {
                  r.awaitingRelease(record.awaitingRelease());
                }
                Future<List<QueuedMessage>> mine = claimed;
                // the node that owned the record until now: an adopting survivor may have moved
                // the session to itself after this connect read the record (that named the
                // departed node), and its copy is then retired once this one routes
                Future<SessionRecord> savedOver = store.saveOver(r);
                Future<Void> adoptedGone =
                    Future.all(oldGone, savedOver)
                        .compose(
                            x ->
                                takeover.retireAdopted(
                                    savedOver.result(),
                                    remoteOwner[0],
                                    clientId,
                                    router::routesAnnounced));
                // attached once what the old copy still had is handed over: the client gets it
                // before what was published after it
                queued = Future.all(mine, adoptedGone, inOrder).map(x -> mine.result());
              } else if (present) {
                // Clean Start 0 resumes the stored session even with expiry 0 (MQTT-3.1.2-5); it
                // now ends with
                // this connection, so its queue moves into memory and the store keeps nothing
                queued =
                    oldGone
                        .compose(x -> store.queued(clientId))
                        .compose(q -> store.delete(clientId).map(q))
                        .compose(
                            q ->
                                !stored
                                    ? Future.succeededFuture(q)
                                    : store
                                        .save(
                                            new SessionRecord(
                                                    clientId,
                                                    req.protocolVersion(),
                                                    0,
                                                    nodeId,
                                                    connectionId)
                                                .will(req.will(), req.willDelaySeconds()))
                                        .map(q));
              } else {
                queued = oldGone.map(List.of());
              }
              java.util.Set<Integer> awaiting =
                  present ? record.awaitingRelease() : java.util.Set.of();
              return queued.map(q -> new Attached(session, present, q, awaiting));
            });
  }

  /** Another node takes over {@code clientId}: close its connection here (first phase). */
  public Future<Void> stepDownLocal(String clientId, boolean sessionContinues) {
    return takeover.stepDownLocal(clientId, sessionContinues);
  }

  /**
   * Another node now serves {@code clientId}: stop routing to the old session here (second phase;
   * for an offline copy the only one, see {@link SessionTakeover#connectedThere}).
   */
  public Future<Void> retireLocal(String clientId, boolean sessionContinues) {
    return adoption.afterListing(clientId, () -> takeover.retireLocal(clientId, sessionContinues));
  }

  /** What {@link #deleteOffline} did. */
  public enum Deletion {
    DELETED,
    /** The session's client is connected: nothing was deleted. */
    ONLINE,
    NOT_FOUND
  }

  /**
   * An operator deletes an offline persistent session this node hosts (or one whose record names no
   * live session here): it stops receiving messages, its pending will is discarded (the operator
   * ends it, the client did not vanish), and the store forgets record and queue, so the client's
   * next connect finds no session (Session Present 0). A connected session is left alone.
   */
  public Future<Deletion> deleteOffline(String clientId) {
    Session local = sessions.get(clientId);
    if (local == null) {
      return store
          .load(clientId)
          .compose(
              r -> {
                if (r == null) {
                  return Future.succeededFuture(Deletion.NOT_FOUND);
                }
                if (r.connected()) {
                  return Future.succeededFuture(Deletion.ONLINE);
                }
                return store
                    .deleteIfOwnedBy(clientId, r.connectionId())
                    .map(d -> d ? Deletion.DELETED : Deletion.ONLINE);
              });
    }
    Promise<Deletion> done = Promise.promise();
    local.onContext(
        () -> {
          if (local.state() != Session.State.OFFLINE || !sessions.remove(clientId, local)) {
            done.complete(Deletion.ONLINE);
            return;
          }
          local.willAndExpiry().cancelWill();
          local
              .retire()
              .compose(v -> store.deleteIfOwnedBy(clientId, local.connectionId()))
              .map(Deletion.DELETED)
              .onComplete(done);
        });
    return done.future();
  }

  /** The client disconnected normally: its will is gone (MQTT-3.1.2-10). */
  public void discardWill(Session session) {
    session.onContext(() -> session.willAndExpiry().discardWill());
  }

  /** After CONNACK: the session starts sending. */
  public void attach(Attached attached, ClientChannel channel) {
    Session session = attached.session();
    if (Vertx.currentContext() == session.context()) {
      // at once, right after the CONNACK: a graceful stop must find the channel to send its
      // DISCONNECT to
      session.attach(channel, attached.queued());
    } else {
      session.onContext(() -> session.attach(channel, attached.queued()));
    }
  }

  /**
   * A connection ended. {@code publishWill}: it ended without a normal DISCONNECT (or with reason
   * 0x04). {@code newExpirySeconds}: the Session Expiry Interval of the client's DISCONNECT, or -1.
   */
  public void disconnected(
      Session session, ClientChannel channel, boolean publishWill, long newExpirySeconds) {
    session.onContext(
        () -> {
          if (!session.hasChannel(channel)) {
            return; // taken over meanwhile: the takeover did the work
          }
          session.detach();
          WillAndExpiry end = session.willAndExpiry();
          long expiry = 0;
          if (session.persistent()) {
            // a clean session ends now whatever its DISCONNECT says
            if (newExpirySeconds >= 0) {
              end.expirySeconds(newExpirySeconds);
            }
            expiry = end.expirySeconds();
          }
          PublishedMessage will = publishWill ? end.will() : null;
          if (will != null) {
            wills.scheduleWill(session, will, Math.min(end.willDelaySeconds(), expiry));
          }
          if (expiry == 0) {
            sessions.remove(session.clientId(), session);
            session.retire();
            events.ended(SessionEvents.ENDED_TRANSIENT_SESSION);
            Future<?> cleanup =
                session.recordStored()
                    ? store.deleteIfOwnedBy(session.clientId(), session.connectionId())
                    : Future.succeededFuture();
            cleanup.onComplete(
                x -> store.releaseConnection(session.clientId(), session.connectionId()));
            return;
          }
          store.markOffline(
              session.clientId(), session.connectionId(), expiry, System.currentTimeMillis());
          store.releaseConnection(session.clientId(), session.connectionId());
          if (expiry != SessionRecord.NEVER_EXPIRES) {
            expiries.scheduleExpiry(session, expiry * 1000L);
          }
        });
  }

  /**
   * A node left the cluster and this node is the oldest survivor: it takes over the sessions the
   * departed node hosted (see {@link SessionAdoption}). Answers how many sessions were adopted.
   */
  public Future<Integer> adoptSessionsOf(String deadNode) {
    return adoption.adoptSessionsOf(deadNode);
  }

  /**
   * The first node of a cluster started against a state database brings the persistent sessions it
   * holds back, as offline sessions of this node (see {@link SessionAdoption#restoreStored}).
   * Answers how many came back.
   */
  public Future<Integer> restoreStored() {
    return adoption.restoreStored();
  }

  /**
   * A session whose queue a newer connection of its client owns: it stops routing here, the store
   * stays.
   */
  private void retireStale(Session session) {
    session.onContext(
        () -> {
          if (session.state() == Session.State.CLOSED) {
            return;
          }
          LOG.info(
              "session {} lives on at a newer connection; the stale copy here is retired",
              session.clientId());
          sessions.remove(session.clientId(), session);
          session.closeChannel(ClientChannel.EndCause.SESSION_TAKEN_OVER);
          session.retire();
        });
  }

  /** The session broke a bound under the terminate-session policy: it ends now, online or not. */
  private void terminate(Session session) {
    session.onContext(
        () -> {
          if (!sessions.remove(session.clientId(), session)) {
            return;
          }
          session.closeChannel(ClientChannel.EndCause.QUOTA_EXCEEDED);
          session
              .retire()
              .onComplete(
                  v ->
                      store
                          .deleteIfOwnedBy(session.clientId(), session.connectionId())
                          .onComplete(
                              x ->
                                  store.releaseConnection(
                                      session.clientId(), session.connectionId())));
        });
  }

  /** Saves a persistent session's subscriptions after SUBSCRIBE/UNSUBSCRIBE (before the SUBACK). */
  public Future<Void> subscriptionsChanged(Session session) {
    // the SUBACK waits until the other nodes route to the new subscriptions: a request/response
    // client
    // subscribes, then publishes a request whose reply may come from any node at once
    Future<Void> routed = router.routesAnnounced();
    if (!session.persistent()) {
      return routed;
    }
    // one entry processor, not load-then-save: a concurrent change to the record (QoS 2 ids) is not
    // overwritten
    return Future.all(
            routed,
            store.saveSubscriptions(
                session.clientId(), session.connectionId(), session.subscriptions()))
        .mapEmpty();
  }

  /**
   * Graceful stop: every client gets DISCONNECT 0x8B; persistent sessions stay in the store,
   * offline. New connects fail from now on.
   */
  public Future<Void> shutdown() {
    // the listeners stay open until every client has its DISCONNECT; a device reconnecting at once
    // is refused
    shuttingDown = true;
    List<Future<Void>> all = new ArrayList<>();
    for (Session s : sessions.values()) {
      all.add(
          onContextOf(
              s,
              () -> {
                s.closeChannel(ClientChannel.EndCause.SERVER_SHUTTING_DOWN);
                s.detach();
                s.willAndExpiry().cancelExpiry();
                Future<Void> done;
                if (s.persistent()) {
                  // its routes stay until a survivor adopts the session (the node's departure
                  // starts that): a publish
                  // meanwhile fails towards its publisher rather than vanishing
                  done =
                      s.whenStoreIdle()
                          .compose(
                              v ->
                                  store.markOffline(
                                      s.clientId(),
                                      s.connectionId(),
                                      s.willAndExpiry().expirySeconds(),
                                      System.currentTimeMillis()))
                          .mapEmpty();
                } else {
                  done = s.retire();
                }
                return done.recover(e -> Future.succeededFuture());
              }));
    }
    // persistent sessions stay listed: until this node is gone, a takeover from another node must
    // find them
    // here to retire them (or they would keep filling a queue that their client reads elsewhere)
    sessions.values().removeIf(s -> !s.persistent());
    return Future.all(all).mapEmpty();
  }

  /**
   * Runs {@code task} on the session's context; the result is handed back on the caller's context.
   */
  static <T> Future<T> onContextOf(Session s, java.util.function.Supplier<Future<T>> task) {
    Context caller = Vertx.currentContext();
    Promise<T> p = Promise.promise();
    s.onContext(
        () -> {
          Future<T> f;
          try {
            f = task.get();
          } catch (RuntimeException e) {
            f = Future.failedFuture(e);
          }
          f.onComplete(
              ar -> {
                if (caller == null || caller == Vertx.currentContext()) {
                  p.handle(ar);
                } else {
                  caller.runOnContext(v -> p.handle(ar));
                }
              });
        });
    return p.future();
  }
}
