package io.mqttgrid.hazelcast;

import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes this node's route changes to the table in batches, one batch at a time, and tells the
 * other nodes of the new routes. What a batch writes for a filter is what {@link LocalRouteCounts}
 * says when it goes out, so that a withdrawal and a new announcement of one filter in one batch
 * leave the route.
 */
final class RouteBatchWriter {

  private static final Logger LOG = LoggerFactory.getLogger(RouteBatchWriter.class);

  /**
   * Withdrawn routes removed by one {@code submitToKeys}: Hazelcast (5.6, {@code
   * MultipleEntryOperation}) runs one operation per partition that goes through every key of the
   * call, so one call for a storm's hundreds of withdrawals costs keys x partitions (a JFR profile
   * showed 19 % of a node's CPU in it); small calls keep that below one removal per key.
   */
  static final int REMOVAL_CHUNK = 16;

  /** A node alone writes at once when this many route changes are waiting. */
  private static final int ALONE_WRITE_BATCH = 4_096;

  private final Vertx vertx;
  private final IMap<String, String> map;
  private final String localNode;
  private final LocalRouteCounts counts;

  /** The cluster's members by node id, as the route table last heard (it writes the set). */
  private final Set<String> liveNodes;

  /** How long a node alone holds its route changes before writing them (see {@link #changed}). */
  private final long aloneWriteDelayMillis;

  /**
   * How long an announcement waits at most for the other nodes to read a new route
   * (cluster.route-announce-timeout).
   */
  private final long routeNewsTimeoutMillis;

  /** Announcements whose route the other nodes have not confirmed yet. */
  private final Set<Future<Void>> unconfirmed = ConcurrentHashMap.newKeySet();

  /**
   * Filters whose route was announced or withdrawn and not written yet; guards itself and the
   * fields after it.
   */
  private final Set<String> changed = new HashSet<>();

  /** Completes once the batch in {@link #changed} is written and known to the other nodes. */
  private Promise<Void> changedConfirmed;

  /**
   * Filters in {@link #changed} only because {@link #writeAgain} writes them again: the other nodes
   * mirror them already (or hear of a missing one through the entry listener), so no news is sent.
   */
  private final Set<String> rewritten = new HashSet<>();

  /** Completes once the batch in {@link #changed} is in the table (for {@link #writeAgain}). */
  private Promise<Void> changedWritten;

  /**
   * A write's table operations are under way. The next write waits for them: a write of a route
   * that Hazelcast retries (while partitions migrate after a node left, for seconds) would
   * otherwise land after a later removal of that route and put it back for good, or a removal after
   * a later write, leaving a subscribed filter without a route.
   */
  private boolean writing;

  /** A write came due while {@link #writing}: it goes out as soon as that one is done. */
  private boolean writeWhenDone;

  /** A write of {@link #changed} is due at the end of an event-loop turn. */
  private boolean writeThisTurn;

  /** The timer of a node alone's write behind, or -1. */
  private long writeBehindTimer = -1;

  RouteBatchWriter(
      Vertx vertx,
      IMap<String, String> map,
      String localNode,
      LocalRouteCounts counts,
      Set<String> liveNodes,
      long routeNewsTimeoutMillis,
      long aloneWriteDelayMillis) {
    this.vertx = vertx;
    this.map = map;
    this.localNode = localNode;
    this.counts = counts;
    this.liveNodes = liveNodes;
    this.routeNewsTimeoutMillis = routeNewsTimeoutMillis;
    this.aloneWriteDelayMillis = aloneWriteDelayMillis;
  }

  /**
   * Queues the route of {@code filter} for the next write. The route changes of one turn of an
   * event loop go out together at its end (an adopting node starts hundreds of sessions in one
   * turn: one write and one message per node for all of them costs what one costs). A node alone
   * holds them longer ({@link #aloneWriteDelayMillis}): nobody needs to hear of a route before its
   * SUBACK (a node that joins later reads the table, or hears of the write through its entry
   * listener; one that joins meanwhile makes the node write at once, see {@link #membersChanged}),
   * and a connect storm's devices then cost one write for many routes instead of one each.
   */
  void changed(String filter, boolean announced) {
    Context context = Vertx.currentContext();
    synchronized (changed) {
      changed.add(filter);
      rewritten.remove(filter);
      boolean alone = alone();
      if (announced) {
        if (changedConfirmed == null) {
          changedConfirmed = Promise.promise();
        }
        if (!alone) {
          awaitConfirmation(changedConfirmed.future());
        }
      }
      if (alone && changed.size() < ALONE_WRITE_BATCH) {
        if (!writeThisTurn && writeBehindTimer < 0) {
          writeBehindTimer = vertx.setTimer(aloneWriteDelayMillis, t -> writeChanged());
        }
      } else {
        writeAtTurnEnd(context);
      }
    }
  }

  /**
   * The cluster's members changed ({@link #liveNodes} holds them now): a node that joined while
   * route changes were held back must hear of them now.
   */
  void membersChanged() {
    synchronized (changed) {
      if (!changed.isEmpty() && !alone()) {
        if (changedConfirmed != null) {
          awaitConfirmation(changedConfirmed.future());
        }
        writeAtTurnEnd(null);
      }
    }
  }

  /**
   * Writes the routes of {@code filters} again, in order with the other changes: a route withdrawn
   * while this is under way is not put back. Completes once they are in the table.
   */
  CompletionStage<Void> writeAgain(List<String> filters) {
    if (filters.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Promise<Void> inTable;
    synchronized (changed) {
      for (String filter : filters) {
        if (changed.add(filter)) {
          rewritten.add(filter);
        }
      }
      if (changedWritten == null) {
        changedWritten = Promise.promise();
      }
      inTable = changedWritten;
      writeAtTurnEnd(null);
    }
    return inTable.future().toCompletionStage();
  }

  /** Completes once every announcement so far is confirmed (see {@code announcedEverywhere}). */
  Future<Void> announcedEverywhere() {
    if (unconfirmed.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.join(new ArrayList<>(unconfirmed)).<Void>mapEmpty().otherwiseEmpty();
  }

  /** Whether route changes wait for a write under way. */
  boolean writeWaiting() {
    synchronized (changed) {
      return writing && !changed.isEmpty();
    }
  }

  /** Stops the write-behind timer; what it held is not written. */
  void close() {
    synchronized (changed) {
      if (writeBehindTimer >= 0) {
        vertx.cancelTimer(writeBehindTimer);
        writeBehindTimer = -1;
      }
    }
  }

  private boolean alone() {
    return liveNodes.size() == 1 && liveNodes.contains(localNode);
  }

  /** Holds {@link #announcedEverywhere} until {@code confirmed} completes. */
  private void awaitConfirmation(Future<Void> confirmed) {
    if (unconfirmed.add(confirmed)) {
      confirmed.onComplete(x -> unconfirmed.remove(confirmed));
    }
  }

  /** Call holding {@link #changed}. */
  private void writeAtTurnEnd(Context context) {
    if (!writeThisTurn) {
      writeThisTurn = true;
      (context != null ? context : vertx.getOrCreateContext()).runOnContext(v -> writeChanged());
    }
  }

  /**
   * Writes the route changes since the last write (the new routes in one setAll, the withdrawn in a
   * few calls, see {@link #REMOVAL_CHUNK}), and tells the other nodes of the new routes.
   */
  private void writeChanged() {
    List<String> filters;
    Set<String> withoutNews;
    Promise<Void> confirmed;
    Promise<Void> inTable;
    synchronized (changed) {
      writeThisTurn = false;
      if (writeBehindTimer >= 0) {
        vertx.cancelTimer(writeBehindTimer);
        writeBehindTimer = -1;
      }
      if (writing) {
        // what changed meanwhile waits in changed, and goes out as one write after this one
        writeWhenDone = true;
        return;
      }
      if (changed.isEmpty()) {
        return;
      }
      writing = true;
      filters = new ArrayList<>(changed);
      changed.clear();
      withoutNews = new HashSet<>(rewritten);
      rewritten.clear();
      // none when the batch had only withdrawals, or an announcement that will come with the next
      confirmed = changedConfirmed != null ? changedConfirmed : Promise.promise();
      changedConfirmed = null;
      inTable = changedWritten != null ? changedWritten : Promise.promise();
      changedWritten = null;
    }
    try {
      write(filters, withoutNews, confirmed, inTable);
    } catch (RuntimeException e) {
      // the member is shutting down (its calls throw at once): no later write waits for this one
      LOG.debug("routes {} not written: {}", filters, e.toString());
      writeDone();
      inTable.tryFail(e);
      confirmed.tryComplete();
    }
  }

  /**
   * The body of {@link #writeChanged}: {@code filters} are written as {@link #counts} says now,
   * news of them (but of {@code withoutNews}) sent; {@link #writeDone} once the table operations
   * are done.
   */
  private void write(
      List<String> filters,
      Set<String> withoutNews,
      Promise<Void> confirmed,
      Promise<Void> inTable) {
    Map<String, String> routes = new HashMap<>();
    Set<String> withdrawn = new HashSet<>();
    // what holds now: a filter withdrawn and announced again since the last write is written, one
    // announced and withdrawn again is removed
    Set<String> counted = counts.counted(filters);
    for (String filter : filters) {
      if (counted.contains(filter)) {
        routes.put(HazelcastRouteTable.key(localNode, filter), filter);
      } else {
        withdrawn.add(HazelcastRouteTable.key(localNode, filter));
      }
    }
    Context context = vertx.getOrCreateContext();
    Future<Void> removed = remove(withdrawn, context);
    if (routes.isEmpty()) {
      removed.onComplete(
          x -> {
            writeDone();
            inTable.complete();
            confirmed.complete();
          });
      return;
    }
    String onlyKey = routes.size() == 1 ? routes.keySet().iterator().next() : null;
    Future<Void> written =
        HazelcastFutures.onContext(
            onlyKey != null ? map.setAsync(onlyKey, routes.get(onlyKey)) : map.setAllAsync(routes),
            context);
    Future.join(written, removed)
        .onComplete(
            x -> {
              writeDone();
              if (written.failed()) {
                LOG.debug("routes {} not written: {}", routes.values(), written.cause().toString());
                inTable.fail(written.cause());
                confirmed.complete();
                return;
              }
              inTable.complete();
              List<String> newRoutes = new ArrayList<>(routes.size());
              routes.forEach(
                  (key, filter) -> {
                    if (!withoutNews.contains(filter)) {
                      newRoutes.add(key);
                    }
                  });
              if (newRoutes.isEmpty()) {
                confirmed.complete();
                return;
              }
              tellOtherNodes(newRoutes).onComplete(y -> confirmed.complete());
            });
  }

  /**
   * Asks every other node to read {@code newRoutes} from the table (one key as it is; several as a
   * list, see {@code HazelcastRouteTable.readNews}); completes once all answered or timed out.
   */
  private Future<?> tellOtherNodes(List<String> newRoutes) {
    Object news = newRoutes.size() == 1 ? newRoutes.get(0) : new JsonArray(newRoutes);
    List<Future<Object>> answers = new ArrayList<>();
    for (String node : liveNodes) {
      if (!node.equals(localNode)) {
        answers.add(
            vertx
                .eventBus()
                .request(
                    HazelcastRouteTable.newsAddress(node),
                    news,
                    new DeliveryOptions().setSendTimeout(routeNewsTimeoutMillis))
                .map(m -> m.body()));
      }
    }
    // a node that does not answer (leaving, overloaded) still gets the routes through the entry
    // listener
    return Future.join(answers);
  }

  /** The table operations of a write are done: a write that came due meanwhile goes out now. */
  private void writeDone() {
    boolean next;
    synchronized (changed) {
      writing = false;
      next = writeWhenDone;
      writeWhenDone = false;
    }
    if (next) {
      writeChanged();
    }
  }

  private Future<Void> remove(Set<String> keys, Context context) {
    if (keys.isEmpty()) {
      return Future.succeededFuture();
    }
    List<CompletableFuture<?>> removals = new ArrayList<>();
    List<String> all = new ArrayList<>(keys);
    for (int from = 0; from < all.size(); from += REMOVAL_CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + REMOVAL_CHUNK));
      removals.add(
          (chunk.size() == 1
                  ? map.deleteAsync(chunk.get(0))
                  : map.submitToKeys(new HashSet<>(chunk), new RemoveEntry()))
              .toCompletableFuture());
    }
    return HazelcastFutures.onContext(
            CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)), context)
        .onFailure(e -> LOG.debug("routes {} not removed: {}", keys, e.toString()))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }
}
