package io.mqttgrid.routing;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Matches a publish against this node's subscriptions and hands it to each subscriber once (MQTT 5
 * section 4.7 and 4.8). Matching is local and lock-free: no network call on the path of a message.
 */
public final class MessageRouter {

  private record Entry(Subscriber subscriber, Subscription subscription) {
  }

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
  private final Map<Subscriber, Map<String, Entry>> bySubscriber = new ConcurrentHashMap<>();

  /** Adds or replaces {@code subscriber}'s subscription to the same filter. */
  public synchronized void subscribe(Subscriber subscriber, Subscription subscription) {
    Map<String, Entry> mine = bySubscriber.computeIfAbsent(subscriber, k -> new ConcurrentHashMap<>());
    Entry old = mine.put(subscription.filter(), new Entry(subscriber, subscription));
    if (old != null) {
      removeEntry(old);
    }
    addEntry(mine.get(subscription.filter()));
  }

  public synchronized boolean unsubscribe(Subscriber subscriber, String filter) {
    Map<String, Entry> mine = bySubscriber.get(subscriber);
    if (mine == null) {
      return false;
    }
    Entry old = mine.remove(filter);
    if (mine.isEmpty()) {
      bySubscriber.remove(subscriber);
    }
    if (old == null) {
      return false;
    }
    removeEntry(old);
    return true;
  }

  /** Removes every subscription of {@code subscriber}. */
  public synchronized void removeAll(Subscriber subscriber) {
    Map<String, Entry> mine = bySubscriber.remove(subscriber);
    if (mine != null) {
      mine.values().forEach(this::removeEntry);
    }
  }

  /**
   * Routes one message to every matching subscriber of this node. The future completes, with the number of
   * subscribers reached, once every subscriber has the message as safe as it promises.
   */
  public Future<Integer> route(PublishedMessage message) {
    Map<Subscriber, Delivery> targets = new HashMap<>();
    String publisher = message.publisherClientId();
    plain.match(message.topic(), e -> {
      Subscription s = e.subscription();
      if (s.noLocal() && publisher != null && publisher.equals(e.subscriber().clientId())) {
        return;
      }
      targets.computeIfAbsent(e.subscriber(), k -> new Delivery()).add(message, s);
    });
    List<Future<Void>> pending = new ArrayList<>(targets.size() + 1);
    int[] reached = {0};
    targets.forEach((subscriber, d) -> {
      reached[0]++;
      Future<Void> f = subscriber.deliver(message, d.qos, d.retain, d.ids(), null);
      if (!f.isComplete() || f.failed()) {
        pending.add(f);
      }
    });
    sharedTrie.match(message.topic(), group -> {
      Future<Void> f = deliverShared(group, message, null);
      if (f != null) {
        reached[0]++;
        if (!f.isComplete() || f.failed()) {
          pending.add(f);
        }
      }
    });
    if (pending.isEmpty()) {
      return Future.succeededFuture(reached[0]);
    }
    return Future.all(pending).map(reached[0]);
  }

  /**
   * Gives a message that a departed member of {@code groupKey} never acknowledged to another member.
   * Returns false when no other member is there.
   */
  public boolean redispatchShared(String groupKey, PublishedMessage message, Subscriber departed) {
    SharedGroup group = sharedGroups.get(groupKey);
    return group != null && deliverShared(group, message, departed) != null;
  }

  private Future<Void> deliverShared(SharedGroup group, PublishedMessage message, Subscriber exclude) {
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
    Topics.SharedFilter shared = e.subscription().shared();
    if (shared == null) {
      plain.add(e.subscription().filter(), e);
      return;
    }
    SharedGroup group = sharedGroups.computeIfAbsent(e.subscription().filter(),
        k -> new SharedGroup(k, shared.filter()));
    if (group.members.isEmpty()) {
      sharedTrie.add(group.filter, group);
    }
    group.members.add(e);
  }

  private void removeEntry(Entry e) {
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
    int qos = -1;
    boolean retain;
    int[] ids = new int[0];
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
