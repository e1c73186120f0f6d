package io.mqttgrid.routing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Topic filters to values, matched against topic names without walking every filter. Matching is
 * lock-free and runs on any event loop at once; changes are serialised by one lock, since
 * subscribes are rare next to publishes.
 */
public final class SubscriptionTrie<V> {

  private static final class Node<V> {
    final ConcurrentHashMap<String, Node<V>> children = new ConcurrentHashMap<>(4);
    final Set<V> values = ConcurrentHashMap.newKeySet(2);
    volatile Node<V> plus;
    volatile Node<V> hash;

    boolean isEmpty() {
      return values.isEmpty() && children.isEmpty() && plus == null && hash == null;
    }
  }

  private final Node<V> root = new Node<>();
  private final Object writeLock = new Object();

  /** Adds {@code value} under {@code filter}; returns false if it was there already. */
  public boolean add(String filter, V value) {
    synchronized (writeLock) {
      Node<V> node = root;
      for (String level : Topics.levels(filter)) {
        node = child(node, level, true);
      }
      return node.values.add(value);
    }
  }

  /** Removes {@code value} from {@code filter}; returns false if it was not there. */
  public boolean remove(String filter, V value) {
    synchronized (writeLock) {
      String[] levels = Topics.levels(filter);
      @SuppressWarnings("unchecked")
      Node<V>[] path = new Node[levels.length + 1];
      path[0] = root;
      Node<V> node = root;
      for (int i = 0; i < levels.length; i++) {
        node = child(node, levels[i], false);
        if (node == null) {
          return false;
        }
        path[i + 1] = node;
      }
      boolean removed = node.values.remove(value);
      for (int i = levels.length; i > 0 && path[i].isEmpty(); i--) {
        Node<V> parent = path[i - 1];
        String level = levels[i - 1];
        if (level.equals("+")) {
          parent.plus = null;
        } else if (level.equals("#")) {
          parent.hash = null;
        } else {
          parent.children.remove(level);
        }
      }
      return removed;
    }
  }

  /** Calls {@code sink} for every value whose filter matches {@code topic}. */
  public void match(String topic, Consumer<? super V> sink) {
    String[] levels = Topics.levels(topic);
    boolean dollar = topic.startsWith("$");
    match(root, levels, 0, dollar, sink);
  }

  /** Whether no filter is stored. */
  public boolean isEmpty() {
    return root.isEmpty();
  }

  private void match(
      Node<V> node, String[] levels, int i, boolean dollarTopic, Consumer<? super V> sink) {
    boolean wildcardsAllowed = !(i == 0 && dollarTopic);
    Node<V> hash = node.hash;
    if (hash != null && wildcardsAllowed) {
      hash.values.forEach(sink);
    }
    if (i == levels.length) {
      node.values.forEach(sink);
      return;
    }
    Node<V> exact = node.children.get(levels[i]);
    if (exact != null) {
      match(exact, levels, i + 1, dollarTopic, sink);
    }
    Node<V> plus = node.plus;
    if (plus != null && wildcardsAllowed) {
      match(plus, levels, i + 1, dollarTopic, sink);
    }
  }

  private Node<V> child(Node<V> node, String level, boolean create) {
    switch (level) {
      case "+" -> {
        if (node.plus == null && create) {
          node.plus = new Node<>();
        }
        return node.plus;
      }
      case "#" -> {
        if (node.hash == null && create) {
          node.hash = new Node<>();
        }
        return node.hash;
      }
      default -> {
        return create
            ? node.children.computeIfAbsent(level, k -> new Node<>())
            : node.children.get(level);
      }
    }
  }
}
