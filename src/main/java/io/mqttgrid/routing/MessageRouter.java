package io.mqttgrid.routing;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Matches a publish against this node's subscriptions and hands it to each subscriber once (MQTT 5
 * section 4.7 and 4.8), and sends it once to each other node whose routes match
 * (docs/architecture.md, "The publish path"). Matching is local and lock-free: no network call on
 * the path of a message but the one send per interested node.
 */
public final class MessageRouter {

  private record Entry(Subscriber subscriber, Subscription subscription) {}

  /** One {@code $share/group/filter}: its members and a round-robin cursor. */
  static final class SharedGroup {
    final String key;
    final String filter;
    final CopyOnWriteArrayList<Entry> members = new CopyOnWriteArrayList<>();
    final AtomicInteger cursor = new AtomicInteger();

    SharedGroup(String key, String filter) {
      this.key = key;
      this.filter = filter;
    }
  }

  private final SubscriptionTrie<Entry> plain = new SubscriptionTrie<>();
  private final SubscriptionTrie<SharedGroup> sharedTrie = new SubscriptionTrie<>();
  private final Map<String, SharedGroup> sharedGroups = new ConcurrentHashMap<>();

  /**
   * Each subscriber's subscriptions, read and changed under this router's lock: its only {@link
   * Entry} (most devices subscribe once), or from the second filter on a map of filter to entry. (A
   * map of one cost some 100 B per connection.)
   */
  private final Map<Subscriber, Object> bySubscriber = new ConcurrentHashMap<>();

  private final Map<String, AtomicInteger> sharedNodeCursors = new ConcurrentHashMap<>();
  private volatile RouteTable routes;
  private volatile RemoteDelivery remote;

  /**
   * Completes once the other nodes know every route this node announced (see RouteTable), on the
   * caller's context: the answers of other nodes arrive on other threads.
   */
  public Future<Void> routesAnnounced() {
    RouteTable table = routes;
    Future<Void> announced = table == null ? Future.succeededFuture() : table.announcedEverywhere();
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    if (announced.isComplete() || context == null) {
      return announced;
    }
    io.vertx.core.Promise<Void> onContext = io.vertx.core.Promise.promise();
    announced.onComplete(ar -> context.runOnContext(v -> onContext.handle(ar)));
    return onContext.future();
  }

  /** Joins the cluster's routing: set once at start, before the first subscription. */
  public void cluster(RouteTable routeTable, RemoteDelivery remoteDelivery) {
    this.routes = routeTable;
    this.remote = remoteDelivery;
  }

  /** Adds or replaces {@code subscriber}'s subscription to the same filter. */
  public synchronized void subscribe(Subscriber subscriber, Subscription subscription) {
    String filter = subscription.filter();
    Entry entry = new Entry(subscriber, subscription);
    Object mine = bySubscriber.get(subscriber);
    Entry old = null;
    if (mine == null) {
      bySubscriber.put(subscriber, entry);
    } else if (mine instanceof Entry only) {
      if (only.subscription().filter().equals(filter)) {
        old = only;
        bySubscriber.put(subscriber, entry);
      } else {
        Map<String, Entry> map = new HashMap<>(4);
        map.put(only.subscription().filter(), only);
        map.put(filter, entry);
        bySubscriber.put(subscriber, map);
      }
    } else {
      old = entries(mine).put(filter, entry);
    }
    if (old != null) {
      removeEntry(old);
    }
    addEntry(entry);
  }

  public synchronized boolean unsubscribe(Subscriber subscriber, String filter) {
    Object mine = bySubscriber.get(subscriber);
    Entry old;
    if (mine instanceof Entry only) {
      if (!only.subscription().filter().equals(filter)) {
        return false;
      }
      old = only;
      bySubscriber.remove(subscriber);
    } else if (mine != null) {
      Map<String, Entry> map = entries(mine);
      old = map.remove(filter);
      if (map.isEmpty()) {
        bySubscriber.remove(subscriber);
      }
    } else {
      return false;
    }
    if (old == null) {
      return false;
    }
    removeEntry(old);
    return true;
  }

  /** Removes every subscription of {@code subscriber}. */
  public synchronized void removeAll(Subscriber subscriber) {
    Object mine = bySubscriber.remove(subscriber);
    if (mine instanceof Entry only) {
      removeEntry(only);
    } else if (mine != null) {
      entries(mine).values().forEach(this::removeEntry);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Entry> entries(Object mine) {
    return (Map<String, Entry>) mine;
  }

  /**
   * Routes one message to every matching subscriber in the cluster: this node's directly, every
   * other interested node with one send. Each shared subscription group gets it once, cluster-wide.
   * The future completes, with the number of subscribers (or nodes) reached, once every one has the
   * message as safe as it promises.
   */
  public Future<Integer> route(PublishedMessage message) {
    RouteTable table = routes;
    if (table == null) {
      return routeLocal(message, true, null);
    }
    Set<String> plainNodes = table.remoteNodesFor(message.topic());
    Map<String, List<String>> sharedByNode = null;
    List<String> localGroups = null;
    Map<String, Set<String>> groups = new HashMap<>(2);
    table.sharedGroupsFor(message.topic(), groups::put);
    for (Map.Entry<String, Set<String>> g : groups.entrySet()) {
      String node = pickNode(g.getKey(), g.getValue());
      if (node.equals(table.localNode())) {
        if (localGroups == null) {
          localGroups = new ArrayList<>(2);
        }
        localGroups.add(g.getKey());
      } else {
        if (sharedByNode == null) {
          sharedByNode = new HashMap<>(2);
        }
        sharedByNode.computeIfAbsent(node, k -> new ArrayList<>(2)).add(g.getKey());
      }
    }
    Future<Integer> local =
        routeLocal(message, true, localGroups == null ? List.of() : localGroups);
    if (plainNodes.isEmpty() && sharedByNode == null) {
      return local;
    }
    Set<String> nodes = new HashSet<>(plainNodes);
    if (sharedByNode != null) {
      nodes.addAll(sharedByNode.keySet());
    }
    List<Future<Integer>> sent = new ArrayList<>(nodes.size());
    for (String node : nodes) {
      List<String> shared =
          sharedByNode == null ? List.of() : sharedByNode.getOrDefault(node, List.of());
      sent.add(remote.deliver(node, message, plainNodes.contains(node), shared));
    }
    List<Future<Integer>> all = new ArrayList<>(sent.size() + 1);
    all.add(local);
    all.addAll(sent);
    return Future.join(all)
        .transform(
            x -> {
              int reached = 0;
              int full = 0;
              for (Future<Integer> f : all) {
                if (f.failed()) {
                  if (!(f.cause() instanceof QueueFullException)) {
                    return Future.failedFuture(f.cause());
                  }
                  full++;
                } else {
                  // a node's count is unknown at QoS 0: it counts as one
                  reached += f.result() < 0 ? 1 : f.result();
                }
              }
              return reached == 0 && full > 0
                  ? Future.failedFuture(queueFull(message))
                  : Future.succeededFuture(reached);
            });
  }

  private static QueueFullException queueFull(PublishedMessage message) {
    return new QueueFullException(
        "no subscriber of '" + message.topic() + "' could keep the message: their queues are full");
  }

  /**
   * Round robin over the nodes that have members of a shared group: one delivery per message,
   * cluster-wide.
   */
  private String pickNode(String groupKey, Set<String> nodes) {
    if (nodes.size() == 1) {
      return nodes.iterator().next();
    }
    List<String> sorted = new ArrayList<>(nodes);
    java.util.Collections.sort(sorted);
    int i = sharedNodeCursors.computeIfAbsent(groupKey, k -> new AtomicInteger()).getAndIncrement();
    return sorted.get(Math.floorMod(i, sorted.size()));
  }

  /**
   * Delivers to this node's subscribers only: the plain subscriptions if {@code plainToo}, and one
   * member of each shared group in {@code sharedGroupKeys} (null: every matching local group).
   */
  public Future<Integer> routeLocal(
      PublishedMessage message, boolean plainToo, List<String> sharedGroupKeys) {
    Map<Subscriber, Delivery> targets = new HashMap<>();
    String publisher = message.publisherClientId();
    if (plainToo) {
      plain.match(
          message.topic(),
          e -> {
            Subscription s = e.subscription();
            if (s.noLocal() && publisher != null && publisher.equals(e.subscriber().clientId())) {
              return;
            }
            if (e.subscriber().superseded()) {
              // its newer copy is subscribed here too and gets the message; the old copy's queue
              // is no longer its own, so a delivery to it would fail the publish for nothing
              return;
            }
            targets.computeIfAbsent(e.subscriber(), k -> new Delivery()).add(message, s);
          });
    }
    List<Future<Void>> pending = new ArrayList<>(targets.size() + 1);
    int[] reached = {0};
    targets.forEach(
        (subscriber, d) -> {
          reached[0]++;
          Future<Void> f = subscriber.deliver(message, d.qos, d.retain, d.ids(), null);
          if (!f.isComplete() || f.failed()) {
            pending.add(f);
          }
        });
    java.util.function.Consumer<SharedGroup> toGroup =
        group -> {
          Future<Void> f = deliverShared(group, message, null);
          if (f != null) {
            reached[0]++;
            if (!f.isComplete() || f.failed()) {
              pending.add(f);
            }
          }
        };
    if (sharedGroupKeys == null) {
      sharedTrie.match(message.topic(), toGroup);
    } else {
      for (String key : sharedGroupKeys) {
        SharedGroup group = sharedGroups.get(key);
        if (group != null) {
          toGroup.accept(group);
        }
      }
    }
    if (pending.isEmpty()) {
      return Future.succeededFuture(reached[0]);
    }
    // every subscriber is waited for: one whose queue is full must not hide another's failure
    return Future.join(pending)
        .transform(
            x -> {
              int full = 0;
              for (Future<Void> f : pending) {
                if (f.failed()) {
                  if (!(f.cause() instanceof QueueFullException)) {
                    return Future.failedFuture(f.cause());
                  }
                  full++;
                }
              }
              int kept = reached[0] - full;
              return kept == 0 && full > 0
                  ? Future.failedFuture(queueFull(message))
                  : Future.succeededFuture(kept);
            });
  }

  /**
   * Gives a message that a departed member of {@code groupKey} never acknowledged to another
   * member. Returns false when no other member is there.
   */
  public boolean redispatchShared(String groupKey, PublishedMessage message, Subscriber departed) {
    SharedGroup group = sharedGroups.get(groupKey);
    return group != null && deliverShared(group, message, departed) != null;
  }

  private Future<Void> deliverShared(
      SharedGroup group, PublishedMessage message, Subscriber exclude) {
    List<Entry> members = group.members;
    int n = members.size();
    if (n == 0) {
      return null;
    }
    int start = Math.floorMod(group.cursor.getAndIncrement(), n);
    Entry fallback = null;
    for (int i = 0; i < n; i++) {
      Entry e;
      try {
        e = members.get((start + i) % n);
      } catch (IndexOutOfBoundsException removedMeanwhile) {
        break;
      }
      if (e.subscriber() == exclude) {
        continue;
      }
      if (e.subscriber().isOnline()) {
        return deliverTo(e, message, group.key);
      }
      if (fallback == null) {
        fallback = e;
      }
    }
    return fallback == null ? null : deliverTo(fallback, message, group.key);
  }

  private static Future<Void> deliverTo(Entry e, PublishedMessage message, String groupKey) {
    Subscription s = e.subscription();
    int[] ids = s.subscriptionId() > 0 ? new int[] {s.subscriptionId()} : new int[0];
    boolean retain = s.retainAsPublished() && message.retain();
    return e.subscriber().deliver(message, Math.min(message.qos(), s.qos()), retain, ids, groupKey);
  }

  private void addEntry(Entry e) {
    // this node routes to the subscription first, the cluster hears of it after: a publish another
    // event loop matches meanwhile (a request sent right after the responder's SUBSCRIBE) finds
    // it. The announcement starts a route table write, which takes a while even asynchronously
    Topics.SharedFilter shared = e.subscription().shared();
    if (shared == null) {
      plain.add(e.subscription().filter(), e);
    } else {
      SharedGroup group =
          sharedGroups.computeIfAbsent(
              e.subscription().filter(), k -> new SharedGroup(k, shared.filter()));
      if (group.members.isEmpty()) {
        sharedTrie.add(group.filter, group);
      }
      group.members.add(e);
    }
    RouteTable table = routes;
    if (table != null) {
      table.announce(e.subscription().filter());
    }
  }

  private void removeEntry(Entry e) {
    RouteTable table = routes;
    if (table != null) {
      table.withdraw(e.subscription().filter());
    }
    Topics.SharedFilter shared = e.subscription().shared();
    if (shared == null) {
      plain.remove(e.subscription().filter(), e);
      return;
    }
    SharedGroup group = sharedGroups.get(e.subscription().filter());
    if (group != null) {
      group.members.remove(e);
      if (group.members.isEmpty()) {
        sharedTrie.remove(group.filter, group);
        sharedGroups.remove(group.key);
      }
    }
  }

  /** What one subscriber gets when several of its subscriptions match (MQTT-3.3.4-2, -3.3.4-3). */
  private static final class Delivery {
    /** Shared by the deliveries without subscription identifiers (most): nothing to write. */
    private static final int[] NO_IDS = new int[0];

    int qos = -1;
    boolean retain;
    int[] ids = NO_IDS;
    int idCount;

    void add(PublishedMessage m, Subscription s) {
      qos = Math.max(qos, Math.min(m.qos(), s.qos()));
      retain |= s.retainAsPublished() && m.retain();
      if (s.subscriptionId() > 0) {
        if (idCount == ids.length) {
          ids = java.util.Arrays.copyOf(ids, Math.max(2, ids.length * 2));
        }
        ids[idCount++] = s.subscriptionId();
      }
    }

    int[] ids() {
      return idCount == ids.length ? ids : java.util.Arrays.copyOf(ids, idCount);
    }
  }
}
