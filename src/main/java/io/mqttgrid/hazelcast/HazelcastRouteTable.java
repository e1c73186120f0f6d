package io.mqttgrid.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.MapClearedListener;
import com.hazelcast.query.Predicates;
import io.mqttgrid.routing.RouteTable;
import io.mqttgrid.routing.SubscriptionTrie;
import io.mqttgrid.routing.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route table in a Hazelcast IMap keyed {@code node + NUL + filter}, mirrored on every node
 * into tries through an entry listener. A node counts its local subscribers per filter and writes
 * only the first announcement and the last withdrawal.
 */
public final class HazelcastRouteTable implements RouteTable {

  public static final String MAP = "mqttgrid.routes";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastRouteTable.class);
  private static final char SEP = '\u0000';

  /**
   * How long a withdrawn route still explains deliveries from nodes that had not heard of the
   * withdrawal.
   */
  private static final long WITHDRAWN_MEMORY_MS = 10_000;

  /**
   * How long a node alone holds route changes to write them together: nobody waits for them (its
   * SUBACKs do not), and in a connect storm this makes one write of many routes out of one write
   * per device.
   */
  private static final long ALONE_WRITE_DELAY_MS = 50;

  /**
   * Withdrawn routes removed by one {@code submitToKeys}: Hazelcast (5.6, {@code
   * MultipleEntryOperation}) runs one operation per partition that goes through every key of the
   * call, so one call for a storm's hundreds of withdrawals costs keys x partitions (a JFR profile
   * showed 19 % of a node's CPU in it); small calls keep that below one removal per key.
   */
  private static final int REMOVAL_CHUNK = 16;

  /** A node alone writes at once when this many route changes are waiting. */
  private static final int ALONE_WRITE_BATCH = 4_096;

  /** One node's interest in one shared group, as stored in the shared trie. */
  private record SharedRoute(String groupKey, String node) {}

  private final String localNode;
  private final IMap<String, String> map;
  private final Map<String, Integer> localCounts = new HashMap<>();
  private final SubscriptionTrie<String> plainMirror = new SubscriptionTrie<>();
  private final SubscriptionTrie<SharedRoute> sharedMirror = new SubscriptionTrie<>();
  private final Set<String> liveNodes = ConcurrentHashMap.newKeySet();
  // how many plain routes of other nodes, and shared routes of anyone, the mirror holds: a node
  // alone (or
  // without shared subscriptions) skips those matches on every publish
  private final AtomicInteger remotePlainRoutes = new AtomicInteger();
  private final AtomicInteger sharedRoutes = new AtomicInteger();
  private final UUID listener;

  /** Hears of the table being cleared (see {@link #reannounce}). */
  private final UUID clearedListener;

  private final Vertx vertx;

  /**
   * Filters this node withdrew lately, with when: deliveries other nodes sent meanwhile are still
   * expected.
   */
  private final Map<String, Long> recentlyWithdrawn = new ConcurrentHashMap<>();

  private final long withdrawnMemoryMillis;

  /**
   * Forgets old withdrawals on a timer: {@link #routedHere} forgets them too, but it runs only for
   * deliveries from other nodes, so a node alone (or one that nobody sends to) would otherwise keep
   * one entry per topic filter that ever lost its last subscriber.
   */
  private final long forgetWithdrawnTimer;

  /** Announcements whose route the other nodes have not confirmed yet. */
  private final Set<Future<Void>> unconfirmed = ConcurrentHashMap.newKeySet();

  private final MessageConsumer<Object> routeNews;

  /**
   * How long a removal event is remembered for the news reads that began before it (they take
   * moments; a minute is far beyond any of them).
   */
  private static final long REMOVALS_MEMORY_MS = 60_000;

  /** Removal events of the table, counted. */
  private final AtomicLong removals = new AtomicLong();

  /**
   * The last removal event of each key lately: which one ({@link #removals}) and when. A read of
   * news that began before a removal must not mirror the route again: under load the read of a
   * batch can complete after the route was withdrawn and its removal event handled, and the route
   * would then stay in the mirror (a node sent deliveries to a node that had no route, which
   * refused them).
   */
  private final Map<String, long[]> removalsSeen = new ConcurrentHashMap<>();

  /**
   * Filters whose route was announced or withdrawn and not written yet; guards itself and the
   * fields after it. What is written for each is what {@link #localCounts} says when the batch goes
   * out, so that a withdrawal and a new announcement of one filter in one batch leave the route.
   */
  private final Set<String> changed = new HashSet<>();

  /** Completes once the batch in {@link #changed} is written and known to the other nodes. */
  private Promise<Void> changedConfirmed;

  /**
   * Filters in {@link #changed} only because {@link #reannounce} writes them again: the other nodes
   * mirror them already (or hear of a missing one through the entry listener), so no news is sent.
   */
  private final Set<String> rewritten = new HashSet<>();

  /** Completes once the batch in {@link #changed} is in the table (for {@link #reannounce}). */
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

  /**
   * How long a node alone holds its route changes before writing them (see {@link #routeChanged}).
   */
  private final long aloneWriteDelayMillis;

  /**
   * How long an announcement waits at most for the other nodes to read a new route
   * (cluster.route-announce-timeout).
   */
  private final long routeNewsTimeoutMillis;

  /**
   * Builds the table and its mirror; call from a worker (it reads the whole table once and waits).
   */
  public HazelcastRouteTable(
      Vertx vertx, HazelcastInstance hz, String localNode, long routeNewsTimeoutMillis) {
    this(vertx, hz, localNode, routeNewsTimeoutMillis, WITHDRAWN_MEMORY_MS, ALONE_WRITE_DELAY_MS);
  }

  HazelcastRouteTable(
      Vertx vertx,
      HazelcastInstance hz,
      String localNode,
      long routeNewsTimeoutMillis,
      long withdrawnMemoryMillis) {
    this(vertx, hz, localNode, routeNewsTimeoutMillis, withdrawnMemoryMillis, ALONE_WRITE_DELAY_MS);
  }

  HazelcastRouteTable(
      Vertx vertx,
      HazelcastInstance hz,
      String localNode,
      long routeNewsTimeoutMillis,
      long withdrawnMemoryMillis,
      long aloneWriteDelayMillis) {
    this(
        vertx,
        hz.<String, String>getMap(MAP),
        localNode,
        routeNewsTimeoutMillis,
        withdrawnMemoryMillis,
        aloneWriteDelayMillis);
  }

  /** {@code map}: the route table's map ({@link #MAP}). */
  HazelcastRouteTable(
      Vertx vertx,
      IMap<String, String> map,
      String localNode,
      long routeNewsTimeoutMillis,
      long withdrawnMemoryMillis,
      long aloneWriteDelayMillis) {
    this.vertx = vertx;
    this.aloneWriteDelayMillis = aloneWriteDelayMillis;
    this.withdrawnMemoryMillis = withdrawnMemoryMillis;
    this.routeNewsTimeoutMillis = routeNewsTimeoutMillis;
    this.localNode = localNode;
    this.map = map;
    // other nodes' routes only: this node's own are in its mirror already (announce, withdraw),
    // and their events cost a dispatch and a thread wake-up each, two per device in a connect storm
    this.listener =
        map.addEntryListener(new Mirror(), new KeyHasPrefix(localNode + SEP, true), true);
    this.clearedListener =
        map.addEntryListener(
            (MapClearedListener)
                event -> {
                  LOG.warn("route table cleared; re-announcing this node's routes");
                  reannounce();
                },
            false);
    // a route under this node's id that is in the table already is a predecessor's (a node
    // restarted under the same id has none of its routes; see routedHere), and no event would
    // remove it from the mirror: it is not mirrored
    for (Map.Entry<String, String> e : map.entrySet(new KeyHasPrefix(localNode + SEP, true))) {
      mirrorAdd(e.getKey());
    }
    // the entry listener's events come a moment after a write; an announcing node asks every other
    // node to
    // read the new route at once and waits for the answers before its SUBACK
    this.routeNews = vertx.eventBus().consumer(newsAddress(localNode), this::readNews);
    routeNews.completion().toCompletionStage().toCompletableFuture().join();
    this.forgetWithdrawnTimer =
        vertx.setPeriodic(withdrawnMemoryMillis, t -> forgetOldWithdrawals());
  }

  private void forgetOldWithdrawals() {
    long now = System.currentTimeMillis();
    long cutoff = now - withdrawnMemoryMillis;
    recentlyWithdrawn.values().removeIf(at -> at < cutoff);
    long removalCutoff = now - Math.max(withdrawnMemoryMillis, REMOVALS_MEMORY_MS);
    removalsSeen.values().removeIf(r -> r[1] < removalCutoff);
  }

  /** How many withdrawn filters are still remembered. */
  int rememberedWithdrawals() {
    return recentlyWithdrawn.size();
  }

  static String newsAddress(String node) {
    return "mqttgrid.node." + node + ".routes";
  }

  @Override
  public String localNode() {
    return localNode;
  }

  @Override
  public void announce(String filter) {
    boolean first;
    synchronized (localCounts) {
      first = localCounts.merge(filter, 1, Integer::sum) == 1;
    }
    if (first) {
      recentlyWithdrawn.remove(filter);
      mirrorAdd(key(localNode, filter));
      routeChanged(filter, true);
    }
  }

  /**
   * Queues the route of {@code filter} for the next write. The route changes of one turn of an
   * event loop go out together at its end (an adopting node starts hundreds of sessions in one
   * turn: one write and one message per node for all of them costs what one costs). A node alone
   * holds them longer ({@link #aloneWriteDelayMillis}): nobody needs to hear of a route before its
   * SUBACK (a node that joins later reads the table, or hears of the write through its entry
   * listener; one that joins meanwhile makes the node write at once, see {@link #liveNodes}), and a
   * connect storm's devices then cost one write for many routes instead of one each.
   */
  private void routeChanged(String filter, boolean announced) {
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
   * The body of {@link #writeChanged}: {@code filters} are written as {@link #localCounts} says
   * now, news of them (but of {@code withoutNews}) sent; {@link #writeDone} once the table
   * operations are done.
   */
  private void write(
      List<String> filters,
      Set<String> withoutNews,
      Promise<Void> confirmed,
      Promise<Void> inTable) {
    Map<String, String> routes = new HashMap<>();
    Set<String> withdrawn = new HashSet<>();
    synchronized (localCounts) {
      // what holds now: a filter withdrawn and announced again since the last write is written,
      // one announced and withdrawn again is removed
      for (String filter : filters) {
        if (localCounts.containsKey(filter)) {
          routes.put(key(localNode, filter), filter);
        } else {
          withdrawn.add(key(localNode, filter));
        }
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
              // one key as it is; several as a list (see readNews)
              Object news = newRoutes.size() == 1 ? newRoutes.get(0) : new JsonArray(newRoutes);
              List<Future<Object>> answers = new ArrayList<>();
              for (String node : liveNodes) {
                if (!node.equals(localNode)) {
                  answers.add(
                      vertx
                          .eventBus()
                          .request(
                              newsAddress(node),
                              news,
                              new DeliveryOptions().setSendTimeout(routeNewsTimeoutMillis))
                          .map(m -> m.body()));
                }
              }
              // a node that does not answer (leaving, overloaded) still gets the routes through
              // the entry listener
              Future.join(answers).onComplete(y -> confirmed.complete());
            });
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

  /** Whether route changes wait for a write under way. */
  boolean writeWaiting() {
    synchronized (changed) {
      return writing && !changed.isEmpty();
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

  /**
   * Another node wrote new routes (one key, or a list of keys): they are read from the table, not
   * taken from the message, so that a route withdrawn meanwhile is not mirrored again.
   */
  private void readNews(Message<Object> msg) {
    Context context = vertx.getOrCreateContext();
    long since = removals.get();
    if (msg.body() instanceof JsonArray list) {
      Set<String> keys = new HashSet<>();
      list.forEach(k -> keys.add((String) k));
      // one read for all (IMap has no asynchronous getAll): on a worker, once per batch
      vertx
          .executeBlocking(() -> map.getAll(keys), false)
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  mirrorRead(ar.result().keySet(), since);
                }
                msg.reply(null);
              });
      return;
    }
    String key = (String) msg.body();
    HazelcastFutures.onContext(map.getAsync(key), context)
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result() != null) {
                mirrorRead(Set.of(key), since);
              }
              msg.reply(null);
            });
  }

  /** How many removal events this table has seen: a read of news begins with it. */
  long removalCount() {
    return removals.get();
  }

  /**
   * Mirrors routes a read found in the table, except those removed since {@code since} ({@link
   * #removalCount} when the read began).
   */
  void mirrorRead(Set<String> found, long since) {
    for (String key : found) {
      long[] removed = removalsSeen.get(key);
      if (removed == null || removed[0] <= since) {
        mirrorAdd(key);
      }
    }
  }

  private boolean alone() {
    return liveNodes.size() == 1 && liveNodes.contains(localNode);
  }

  @Override
  public Future<Void> announcedEverywhere() {
    if (unconfirmed.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.join(new ArrayList<>(unconfirmed)).<Void>mapEmpty().otherwiseEmpty();
  }

  @Override
  public void withdraw(String filter) {
    boolean last;
    synchronized (localCounts) {
      Integer n = localCounts.get(filter);
      if (n == null) {
        return;
      }
      last = n == 1;
      if (last) {
        localCounts.remove(filter);
      } else {
        localCounts.put(filter, n - 1);
      }
    }
    if (last) {
      recentlyWithdrawn.put(filter, System.currentTimeMillis());
      mirrorRemove(key(localNode, filter));
      routeChanged(filter, false);
    }
  }

  /**
   * Whether a delivery of {@code topic} that another node sent here was meant for this node: it has
   * (or had a moment ago) a route matching it. A node restarted under the same node id has none of
   * its predecessor's routes, and must not answer "delivered to nobody" for messages meant for a
   * session now elsewhere.
   */
  public boolean routedHere(String topic) {
    boolean[] found = {false};
    plainMirror.match(topic, node -> found[0] |= node.equals(localNode));
    if (found[0]) {
      return true;
    }
    long cutoff = System.currentTimeMillis() - withdrawnMemoryMillis;
    for (Map.Entry<String, Long> withdrawn : recentlyWithdrawn.entrySet()) {
      if (withdrawn.getValue() >= cutoff && Topics.matches(withdrawn.getKey(), topic)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Set<String> remoteNodesFor(String topic) {
    if (remotePlainRoutes.get() == 0) {
      return Set.of();
    }
    Set<String> nodes = new HashSet<>(4);
    // a departed node's routes stay until a survivor has taken over its sessions and purged them: a
    // QoS 1/2
    // publish sent there meanwhile fails (the publisher is told) instead of being acknowledged and
    // lost
    plainMirror.match(
        topic,
        node -> {
          if (!node.equals(localNode)) {
            nodes.add(node);
          }
        });
    return nodes;
  }

  @Override
  public void sharedGroupsFor(String topic, BiConsumer<String, Set<String>> sink) {
    if (sharedRoutes.get() == 0) {
      return;
    }
    Map<String, Set<String>> groups = new HashMap<>(4);
    sharedMirror.match(
        topic,
        r -> {
          if (r.node().equals(localNode) || isLive(r.node())) {
            groups.computeIfAbsent(r.groupKey(), k -> new HashSet<>(4)).add(r.node());
          }
        });
    groups.forEach(sink);
  }

  /**
   * Members the cluster currently has, by node id; routes of other nodes are ignored until purged.
   */
  public void liveNodes(Set<String> nodes) {
    liveNodes.clear();
    liveNodes.addAll(nodes);
    synchronized (changed) {
      if (!changed.isEmpty() && !alone()) {
        // a node joined while route changes were held back: it must hear of them now
        if (changedConfirmed != null) {
          awaitConfirmation(changedConfirmed.future());
        }
        writeAtTurnEnd(null);
      }
    }
  }

  private boolean isLive(String node) {
    return liveNodes.isEmpty() || liveNodes.contains(node);
  }

  /** Removes every route of {@code node} (it left the cluster); done by one survivor. */
  public void purge(String node) {
    map.removeAll(Predicates.sql("__key like '" + node.replace("'", "''") + SEP + "%'"));
    LOG.info("routes of departed node {} purged", node);
  }

  /**
   * Writes this node's routes again (after a partition healed, or when the table lost them),
   * through the same writes as announcements and withdrawals, in order with them: a route withdrawn
   * while this is under way is not put back. Completes once they are in the table.
   */
  public java.util.concurrent.CompletionStage<Void> reannounce() {
    List<String> mine;
    synchronized (localCounts) {
      mine = new ArrayList<>(localCounts.keySet());
    }
    if (mine.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Promise<Void> inTable;
    synchronized (changed) {
      for (String filter : mine) {
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

  /** Whether {@code node} is a member of the cluster as this node last saw it. */
  public boolean isMember(String node) {
    return liveNodes.contains(node);
  }

  public void close() {
    vertx.cancelTimer(forgetWithdrawnTimer);
    synchronized (changed) {
      if (writeBehindTimer >= 0) {
        vertx.cancelTimer(writeBehindTimer);
        writeBehindTimer = -1;
      }
    }
    map.removeEntryListener(listener);
    map.removeEntryListener(clearedListener);
    routeNews.unregister();
  }

  static String key(String node, String filter) {
    return node + SEP + filter;
  }

  private void mirrorAdd(String key) {
    mirror(key, true);
  }

  private void mirrorRemove(String key) {
    mirror(key, false);
  }

  private void mirror(String key, boolean add) {
    int sep = key.indexOf(SEP);
    String node = key.substring(0, sep);
    String filter = key.substring(sep + 1);
    Topics.SharedFilter shared = Topics.SharedFilter.parse(filter);
    if (shared == null) {
      boolean changed = add ? plainMirror.add(filter, node) : plainMirror.remove(filter, node);
      if (changed && !node.equals(localNode)) {
        remotePlainRoutes.addAndGet(add ? 1 : -1);
      }
    } else {
      SharedRoute route = new SharedRoute(filter, node);
      boolean changed =
          add
              ? sharedMirror.add(shared.filter(), route)
              : sharedMirror.remove(shared.filter(), route);
      if (changed) {
        sharedRoutes.addAndGet(add ? 1 : -1);
      }
    }
  }

  /** Other nodes' routes into this node's tries, as the table's entry events tell. */
  private final class Mirror
      implements EntryAddedListener<String, String>,
          EntryRemovedListener<String, String>,
          EntryEvictedListener<String, String> {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      mirrorAdd(event.getKey());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      removalsSeen.put(
          event.getKey(), new long[] {removals.incrementAndGet(), System.currentTimeMillis()});
      mirrorRemove(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
      entryRemoved(event);
    }
  }
}
