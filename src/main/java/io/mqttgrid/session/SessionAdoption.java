package io.mqttgrid.session;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
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
   * How many adopted sessions start (subscribe) in one turn of the event loop: their route
   * announcements go out together (the route table writes what one turn announced at once), and
   * requests for this loop (a takeover retiring an adopted copy) get a turn between two batches.
   */
  static final int START_BATCH = 256;

  /** A session taken from the store, not yet started; {@code copy} is null when none is needed. */
  private record Taken(Session copy, SessionRecord before, boolean adopted) {}

  private static final Taken NOT_TAKEN = new Taken(null, null, false);

  /**
   * How many adoptions have moved records here and not yet listed their copies (also the lock of
   * {@link #waitingForListing}).
   */
  private final int[] listing = {0};

  /**
   * Retire requests that wait for the adoptions in {@link #listing} (see {@link #afterListing}).
   */
  private final List<Runnable> waitingForListing = new ArrayList<>();

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
              Set<String> ids = new HashSet<>();
              for (SessionRecord r : records) {
                if (!sessions.containsKey(r.clientId())) { // else its client is back, here
                  ids.add(r.clientId());
                }
              }
              // one operation for all: thousands of single ones, each with its callback on this
              // loop, kept the devices that reconnected meanwhile waiting (issue 15)
              listingBegins();
              return store
                  .adoptAll(ids, deadNode, nodeId, now)
                  .transform(
                      moved -> {
                        try {
                          return moved.succeeded()
                              ? adoptMoved(moved.result(), now, context)
                              : Future.<Integer>failedFuture(moved.cause());
                        } finally {
                          listingEnds();
                        }
                      });
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
            records ->
                restoreAll(
                    records,
                    r -> store.restore(r.clientId(), r.connectionId(), nodeId, now),
                    now,
                    context));
  }

  /**
   * Lists a copy of each session moved here and starts them in batches, every one: a client whose
   * connection is back elsewhere already is not routed there yet (its connect may wait seconds for
   * a step-down), and the caller purges the departed node's routes once this ends, so a copy left
   * out here would leave its session without any route meanwhile, and a QoS 1 publish would be
   * acknowledged "no matching subscribers" and lost. Its new connection retires this copy once it
   * routes (it learns of the move when it writes the record, see {@link SessionStore#saveOver}).
   * Done only when every node routes the adopted subscriptions here. Answers how many were adopted.
   */
  private Future<Integer> adoptMoved(Map<String, SessionRecord> moved, long now, Context context) {
    List<Taken> copies = new ArrayList<>(moved.size());
    int adopted = 0;
    for (Map.Entry<String, SessionRecord> e : moved.entrySet()) {
      Taken t = prepare(e.getKey(), e.getValue(), context);
      if (t.adopted()) {
        adopted++;
      }
      if (t.copy() != null) {
        copies.add(t);
      }
    }
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> startBatch(copies, 0, now, context, started));
    int count = adopted;
    return started.future().compose(x -> router.routesAnnounced()).map(x -> count);
  }

  /**
   * Runs {@code retire} (a request to retire this node's copy of a session) now, or, when the copy
   * is not listed and an adoption has moved records here that it has not listed yet, once it has: a
   * connection elsewhere that found the record moved here asks for the retirement only after the
   * move, but may ask before this node has read the move's answer, and the copy listed then must
   * not be served on. Such a copy has not started: nothing of it to wait for, so the request is
   * answered at once (its connect does not wait for an adoption of thousands).
   */
  Future<Void> afterListing(String clientId, Supplier<Future<Void>> retire) {
    synchronized (listing) {
      if (listing[0] > 0 && !sessions.containsKey(clientId)) {
        waitingForListing.add(retire::get);
        return Future.succeededFuture();
      }
    }
    return retire.get();
  }

  private void listingBegins() {
    synchronized (listing) {
      listing[0]++;
    }
  }

  private void listingEnds() {
    List<Runnable> ready;
    synchronized (listing) {
      listing[0]--;
      if (listing[0] > 0 || waitingForListing.isEmpty()) {
        return;
      }
      ready = new ArrayList<>(waitingForListing);
      waitingForListing.clear();
    }
    ready.forEach(Runnable::run);
  }

  /** Takes every record, then starts the copies in batches (see {@link #adoptMoved}). */
  private Future<Integer> restoreAll(
      List<SessionRecord> records,
      Function<SessionRecord, Future<SessionRecord>> takeRecord,
      long now,
      Context context) {
    List<Future<Taken>> all = new ArrayList<>(records.size());
    for (SessionRecord r : records) {
      all.add(take(r.clientId(), () -> takeRecord.apply(r), context));
    }
    Promise<Void> started = Promise.promise();
    Future.join(all)
        .onComplete(
            x -> {
              List<Taken> copies = new ArrayList<>(all.size());
              for (Future<Taken> f : all) {
                if (f.succeeded() && f.result().copy() != null) {
                  copies.add(f.result());
                }
              }
              context.runOnContext(v -> startBatch(copies, 0, now, context, started));
            });
    return started
        .future()
        .compose(x -> router.routesAnnounced())
        .map(x -> (int) all.stream().filter(f -> f.succeeded() && f.result().adopted()).count());
  }

  /**
   * Takes one session's record and lists an (unstarted) copy of it here; null copy when there is
   * nothing to serve.
   */
  private Future<Taken> take(
      String clientId, Supplier<Future<SessionRecord>> takeRecord, Context context) {
    if (sessions.containsKey(clientId)) {
      return Future.succeededFuture(NOT_TAKEN); // its client is back, here
    }
    return takeRecord
        .get()
        .map(before -> before == null ? NOT_TAKEN : prepare(clientId, before, context));
  }

  /**
   * A session moved here ({@code before}: its record as it was): an unstarted copy listed in this
   * node's sessions, or none when its session ended with its connection (its will goes out now) or
   * a copy is listed already.
   */
  private Taken prepare(String clientId, SessionRecord before, Context context) {
    boolean wasConnected = before.connected();
    PublishedMessage will = before.will();
    long expiry = before.expirySeconds();
    if (expiry == 0) {
      // a session that ended with its connection: only its will is left to send
      if (wasConnected && will != null) {
        wills.publishWill(clientId, will);
      }
      store.deleteIfOwnedBy(clientId, before.connectionId());
      return new Taken(null, before, true);
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
    session.willAndExpiry(expiry, will, before.willDelaySeconds());
    if (sessions.putIfAbsent(clientId, session) != null) {
      return NOT_TAKEN;
    }
    return new Taken(session, before, true);
  }

  /**
   * Starts {@link #START_BATCH} adopted copies in this turn, then the next batch in another turn. A
   * copy retired meanwhile (its client came back, here or elsewhere) stays as it is.
   */
  private void startBatch(
      List<Taken> copies, int from, long now, Context context, Promise<Void> done) {
    int to = Math.min(copies.size(), from + START_BATCH);
    for (int i = from; i < to; i++) {
      Taken t = copies.get(i);
      Session session = t.copy();
      if (sessions.get(session.clientId()) != session || session.state() == Session.State.CLOSED) {
        continue;
      }
      SessionRecord before = t.before();
      long expiry = before.expirySeconds();
      long offlineSince = before.connected() ? now : before.disconnectedAtMillis();
      session.startOffline(before.subscriptions());
      if (before.connected() && before.will() != null) {
        wills.scheduleWill(session, before.will(), Math.min(before.willDelaySeconds(), expiry));
      }
      if (expiry != SessionRecord.NEVER_EXPIRES) {
        expiries.scheduleExpiry(
            session, expiry * 1000L - (System.currentTimeMillis() - offlineSince));
      }
    }
    if (to < copies.size()) {
      context.runOnContext(v -> startBatch(copies, to, now, context, done));
    } else {
      done.complete();
    }
  }
}
