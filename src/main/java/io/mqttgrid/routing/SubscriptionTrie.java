package io.mqttgrid.routing;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Topic filters to values, matched against topic names without walking every filter. Matching is
 * lock-free and runs on any event loop at once; changes are serialised by one lock, since
 * subscribes are rare next to publishes.
 */
public final class SubscriptionTrie<V> {

  /**
   * One level of filters. Most nodes are leaves with one value (a device's own filter) or inner
   * nodes with one child and no value, so both holders start empty and small: a node's only child
   * is held as itself (its {@link #level} says under which name), a map is made with the second
   * child; the values are a copy-on-write array until there are more than {@link #SMALL_VALUES} of
   * them, then a concurrent set. A reader sees either holder whole (one volatile read each), never
   * a value twice. (A map of one child cost some 130 bytes per device filter in each trie.)
   */
  private static final class Node<V> {
    /** The name of this node under its parent; null for the root and wildcard nodes. */
    final String level;

    /** Null, the only child ({@code Node}), or a {@code ConcurrentHashMap} of level to child. */
    volatile Object children;

    /** Null, an {@code Object[]} of up to SMALL_VALUES values, or a {@code Set<V>}. */
    volatile Object values;

    volatile Node<V> plus;
    volatile Node<V> hash;

    Node(String level) {
      this.level = level;
    }

    boolean isEmpty() {
      Object c = children;
      return values == null
          && (c == null || c instanceof Map<?, ?> m && m.isEmpty())
          && plus == null
          && hash == null;
    }

    @SuppressWarnings("unchecked")
    Node<V> child(String name) {
      Object c = children;
      if (c instanceof Node<?> only) {
        return only.level.equals(name) ? (Node<V>) only : null;
      }
      return c == null ? null : ((Map<String, Node<V>>) c).get(name);
    }

    /** Under the trie's write lock. */
    @SuppressWarnings("unchecked")
    Node<V> addChild(String name) {
      Object c = children;
      if (c == null) {
        Node<V> child = new Node<>(name);
        children = child;
        return child;
      }
      if (c instanceof Node<?> only) {
        if (only.level.equals(name)) {
          return (Node<V>) only;
        }
        ConcurrentHashMap<String, Node<V>> map = new ConcurrentHashMap<>(4);
        map.put(only.level, (Node<V>) only);
        Node<V> child = new Node<>(name);
        map.put(name, child);
        children = map;
        return child;
      }
      return ((ConcurrentHashMap<String, Node<V>>) c).computeIfAbsent(name, Node::new);
    }

    /** Under the trie's write lock. */
    @SuppressWarnings("unchecked")
    void removeChild(String name) {
      Object c = children;
      if (c instanceof Node<?> only) {
        if (only.level.equals(name)) {
          children = null;
        }
      } else if (c != null) {
        Map<String, Node<V>> map = (Map<String, Node<V>>) c;
        map.remove(name);
        if (map.isEmpty()) {
          children = null;
        }
      }
    }

    /** Under the trie's write lock. */
    boolean addValue(V value) {
      Object v = values;
      if (v == null) {
        values = new Object[] {value};
        return true;
      }
      if (v instanceof Object[] small) {
        for (Object o : small) {
          if (o.equals(value)) {
            return false;
          }
        }
        if (small.length < SMALL_VALUES) {
          Object[] more = Arrays.copyOf(small, small.length + 1);
          more[small.length] = value;
          values = more;
        } else {
          Set<Object> set = ConcurrentHashMap.newKeySet(small.length * 2);
          set.addAll(Arrays.asList(small));
          set.add(value);
          values = set;
        }
        return true;
      }
      @SuppressWarnings("unchecked")
      Set<Object> set = (Set<Object>) v;
      return set.add(value);
    }

    /** Under the trie's write lock. */
    boolean removeValue(V value) {
      Object v = values;
      if (v == null) {
        return false;
      }
      if (v instanceof Object[] small) {
        for (int i = 0; i < small.length; i++) {
          if (small[i].equals(value)) {
            if (small.length == 1) {
              values = null;
            } else {
              Object[] fewer = new Object[small.length - 1];
              System.arraycopy(small, 0, fewer, 0, i);
              System.arraycopy(small, i + 1, fewer, i, small.length - i - 1);
              values = fewer;
            }
            return true;
          }
        }
        return false;
      }
      @SuppressWarnings("unchecked")
      Set<Object> set = (Set<Object>) v;
      boolean removed = set.remove(value);
      if (set.isEmpty()) {
        values = null;
      }
      return removed;
    }

    @SuppressWarnings("unchecked")
    void forEachValue(Consumer<? super V> sink) {
      Object v = values;
      if (v == null) {
        return;
      }
      if (v instanceof Object[] small) {
        for (Object o : small) {
          sink.accept((V) o);
        }
      } else {
        ((Set<V>) v).forEach(sink);
      }
    }
  }

  /**
   * Values a node keeps in an array before it switches to a set: adding to the array copies it, so
   * it stays short.
   */
  private static final int SMALL_VALUES = 8;

  private final Node<V> root = new Node<>(null);
  private final Object writeLock = new Object();

  /** Adds {@code value} under {@code filter}; returns false if it was there already. */
  public boolean add(String filter, V value) {
    synchronized (writeLock) {
      Node<V> node = root;
      for (String level : Topics.levels(filter)) {
        node = child(node, level, true);
      }
      return node.addValue(value);
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
      boolean removed = node.removeValue(value);
      for (int i = levels.length; i > 0 && path[i].isEmpty(); i--) {
        Node<V> parent = path[i - 1];
        String level = levels[i - 1];
        if (level.equals("+")) {
          parent.plus = null;
        } else if (level.equals("#")) {
          parent.hash = null;
        } else {
          parent.removeChild(level);
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
      hash.forEachValue(sink);
    }
    if (i == levels.length) {
      node.forEachValue(sink);
      return;
    }
    Node<V> exact = node.child(levels[i]);
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
          node.plus = new Node<>(null);
        }
        return node.plus;
      }
      case "#" -> {
        if (node.hash == null && create) {
          node.hash = new Node<>(null);
        }
        return node.hash;
      }
      default -> {
        if (!create) {
          return node.child(level);
        }
        return node.addChild(level);
      }
    }
  }
}
