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
import io.mqttgrid.routing.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route table in a Hazelcast IMap keyed {@code node + NUL + filter}, mirrored on every node
 * into tries ({@link RouteMirror}) through an entry listener. A node counts its local subscribers
 * per filter ({@link LocalRouteCounts}) and writes only the first announcement and the last
 * withdrawal, in batches ({@link RouteBatchWriter}).
 */
public final class HazelcastRouteTable implements RouteTable {

  public static final String MAP = "mqttgrid.routes";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastRouteTable.class);
  static final char SEP = '\u0000';

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

  private final String localNode;
  private final IMap<String, String> map;
  private final LocalRouteCounts localCounts = new LocalRouteCounts();
  private final RouteMirror mirror;
  private final Set<String> liveNodes = ConcurrentHashMap.newKeySet();
  private final RouteBatchWriter writer;
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

  private final MessageConsumer<Object> routeNews;

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
    this.withdrawnMemoryMillis = withdrawnMemoryMillis;
    this.localNode = localNode;
    this.map = map;
    this.mirror = new RouteMirror(localNode);
    this.writer =
        new RouteBatchWriter(
            vertx,
            map,
            localNode,
            localCounts,
            liveNodes,
            routeNewsTimeoutMillis,
            aloneWriteDelayMillis);
    // other nodes' routes only: this node's own are in its mirror already (announce, withdraw),
    // and their events cost a dispatch and a thread wake-up each, two per device in a connect storm
    this.listener =
        map.addEntryListener(new MirrorEvents(), new KeyHasPrefix(localNode + SEP, true), true);
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
      mirror.add(e.getKey());
    }
    // the entry listener's events come a moment after a write; an announcing node asks every other
    // node to read the new route at once and waits for the answers before its SUBACK
    this.routeNews = vertx.eventBus().consumer(newsAddress(localNode), this::readNews);
    routeNews.completion().toCompletionStage().toCompletableFuture().join();
    this.forgetWithdrawnTimer =
        vertx.setPeriodic(withdrawnMemoryMillis, t -> forgetOldWithdrawals());
  }

  private void forgetOldWithdrawals() {
    long now = System.currentTimeMillis();
    recentlyWithdrawn.values().removeIf(at -> at < now - withdrawnMemoryMillis);
    mirror.forgetRemovalsBefore(
        now - Math.max(withdrawnMemoryMillis, RouteMirror.REMOVALS_MEMORY_MS));
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
    if (localCounts.add(filter)) {
      recentlyWithdrawn.remove(filter);
      mirror.add(key(localNode, filter));
      writer.changed(filter, true);
    }
  }

  @Override
  public void withdraw(String filter) {
    if (localCounts.remove(filter)) {
      recentlyWithdrawn.put(filter, System.currentTimeMillis());
      mirror.remove(key(localNode, filter));
      writer.changed(filter, false);
    }
  }

  @Override
  public Future<Void> announcedEverywhere() {
    return writer.announcedEverywhere();
  }

  /**
   * Another node wrote new routes (one key, or a list of keys): they are read from the table, not
   * taken from the message, so that a route withdrawn meanwhile is not mirrored again.
   */
  private void readNews(Message<Object> msg) {
    Context context = vertx.getOrCreateContext();
    long since = mirror.removalCount();
    if (msg.body() instanceof JsonArray list) {
      Set<String> keys = new HashSet<>();
      list.forEach(k -> keys.add((String) k));
      // one read for all (IMap has no asynchronous getAll): on a worker, once per batch
      vertx
          .executeBlocking(() -> map.getAll(keys), false)
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  mirror.addRead(ar.result().keySet(), since);
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
                mirror.addRead(Set.of(key), since);
              }
              msg.reply(null);
            });
  }

  /** How many removal events this table has seen: a read of news begins with it. */
  long removalCount() {
    return mirror.removalCount();
  }

  /**
   * Mirrors routes a read found in the table, except those removed since {@code since} ({@link
   * #removalCount} when the read began).
   */
  void mirrorRead(Set<String> found, long since) {
    mirror.addRead(found, since);
  }

  /**
   * Whether a delivery of {@code topic} that another node sent here was meant for this node: it has
   * (or had a moment ago) a route matching it. A node restarted under the same node id has none of
   * its predecessor's routes, and must not answer "delivered to nobody" for messages meant for a
   * session now elsewhere.
   */
  public boolean routedHere(String topic) {
    if (mirror.hasLocalRouteFor(topic)) {
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
    // a departed node's routes stay until a survivor has taken over its sessions and purged them: a
    // QoS 1/2 publish sent there meanwhile fails (the publisher is told) instead of being
    // acknowledged and lost
    return mirror.remoteNodesFor(topic);
  }

  @Override
  public void sharedGroupsFor(String topic, BiConsumer<String, Set<String>> sink) {
    mirror.sharedGroupsFor(topic, this::isLive, sink);
  }

  /**
   * Members the cluster currently has, by node id; routes of other nodes are ignored until purged.
   */
  public void liveNodes(Set<String> nodes) {
    liveNodes.clear();
    liveNodes.addAll(nodes);
    writer.membersChanged();
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
  public CompletionStage<Void> reannounce() {
    return writer.writeAgain(localCounts.filters());
  }

  /** Whether {@code node} is a member of the cluster as this node last saw it. */
  public boolean isMember(String node) {
    return liveNodes.contains(node);
  }

  public void close() {
    vertx.cancelTimer(forgetWithdrawnTimer);
    writer.close();
    map.removeEntryListener(listener);
    map.removeEntryListener(clearedListener);
    routeNews.unregister();
  }

  static String key(String node, String filter) {
    return node + SEP + filter;
  }

  /** Other nodes' routes into this node's mirror, as the table's entry events tell. */
  private final class MirrorEvents
      implements EntryAddedListener<String, String>,
          EntryRemovedListener<String, String>,
          EntryEvictedListener<String, String> {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      mirror.add(event.getKey());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      mirror.removedFromTable(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
      entryRemoved(event);
    }
  }
}
