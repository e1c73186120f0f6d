package io.mqttgrid.hazelcast;

import io.mqttgrid.routing.SubscriptionTrie;
import io.mqttgrid.routing.Topics;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The route table as this node knows it, in two tries: plain routes by filter (values: node ids)
 * and shared routes by the group's filter. Keys are the table's ({@code node + NUL + filter}).
 * Written from Hazelcast's event threads and every event loop; the tries are thread-safe.
 */
final class RouteMirror {

  /**
   * How long a removal event is remembered for the news reads that began before it (they take
   * moments; a minute is far beyond any of them).
   */
  static final long REMOVALS_MEMORY_MS = 60_000;

  /** One node's interest in one shared group, as stored in the shared trie. */
  private record SharedRoute(String groupKey, String node) {}

  private final String localNode;
  private final SubscriptionTrie<String> plain = new SubscriptionTrie<>();
  private final SubscriptionTrie<SharedRoute> shared = new SubscriptionTrie<>();

  // how many plain routes of other nodes, and shared routes of anyone, the mirror holds: a node
  // alone (or without shared subscriptions) skips those matches on every publish
  private final AtomicInteger remotePlainRoutes = new AtomicInteger();
  private final AtomicInteger sharedRoutes = new AtomicInteger();

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

  RouteMirror(String localNode) {
    this.localNode = localNode;
  }

  void add(String key) {
    mirror(key, true);
  }

  void remove(String key) {
    mirror(key, false);
  }

  /** The table's event of {@code key} removed: remembered for the news reads under way. */
  void removedFromTable(String key) {
    removalsSeen.put(key, new long[] {removals.incrementAndGet(), System.currentTimeMillis()});
    remove(key);
  }

  /** How many removal events the mirror has seen: a read of news begins with it. */
  long removalCount() {
    return removals.get();
  }

  /**
   * Mirrors routes a read found in the table, except those removed since {@code since} ({@link
   * #removalCount} when the read began).
   */
  void addRead(Set<String> found, long since) {
    for (String key : found) {
      long[] removed = removalsSeen.get(key);
      if (removed == null || removed[0] <= since) {
        add(key);
      }
    }
  }

  /** Forgets removal events older than {@code cutoff} (epoch millis). */
  void forgetRemovalsBefore(long cutoff) {
    removalsSeen.values().removeIf(r -> r[1] < cutoff);
  }

  /** Whether this node has a plain route matching {@code topic}. */
  boolean hasLocalRouteFor(String topic) {
    boolean[] found = {false};
    plain.match(topic, node -> found[0] |= node.equals(localNode));
    return found[0];
  }

  /** Other nodes with a plain route matching {@code topic}. */
  Set<String> remoteNodesFor(String topic) {
    if (remotePlainRoutes.get() == 0) {
      return Set.of();
    }
    Set<String> nodes = new HashSet<>(4);
    plain.match(
        topic,
        node -> {
          if (!node.equals(localNode)) {
            nodes.add(node);
          }
        });
    return nodes;
  }

  /**
   * The shared groups matching {@code topic}, each with its nodes: this one, and those {@code live}
   * accepts.
   */
  void sharedGroupsFor(String topic, Predicate<String> live, BiConsumer<String, Set<String>> sink) {
    if (sharedRoutes.get() == 0) {
      return;
    }
    Map<String, Set<String>> groups = new HashMap<>(4);
    shared.match(
        topic,
        r -> {
          if (r.node().equals(localNode) || live.test(r.node())) {
            groups.computeIfAbsent(r.groupKey(), k -> new HashSet<>(4)).add(r.node());
          }
        });
    groups.forEach(sink);
  }

  private void mirror(String key, boolean add) {
    int sep = key.indexOf(HazelcastRouteTable.SEP);
    String node = key.substring(0, sep);
    String filter = key.substring(sep + 1);
    Topics.SharedFilter sharedFilter = Topics.SharedFilter.parse(filter);
    if (sharedFilter == null) {
      boolean changed = add ? plain.add(filter, node) : plain.remove(filter, node);
      if (changed && !node.equals(localNode)) {
        remotePlainRoutes.addAndGet(add ? 1 : -1);
      }
    } else {
      SharedRoute route = new SharedRoute(filter, node);
      boolean changed =
          add
              ? shared.add(sharedFilter.filter(), route)
              : shared.remove(sharedFilter.filter(), route);
      if (changed) {
        sharedRoutes.addAndGet(add ? 1 : -1);
      }
    }
  }
}
