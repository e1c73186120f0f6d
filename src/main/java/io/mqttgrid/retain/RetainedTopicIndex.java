package io.mqttgrid.retain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topics that hold a retained message, as a tree of levels, so that a wildcard subscription
 * visits only the branches its filter can match instead of scanning every retained topic.
 * Thread-safe: a store's change events and its readers use it at once.
 */
public final class RetainedTopicIndex {

  private static final class Node {
    final Map<String, Node> children = new ConcurrentHashMap<>(4);
    volatile boolean retained;
  }

  private final Node root = new Node();
  private final Object writeLock = new Object();
  private final java.util.concurrent.atomic.AtomicInteger size =
      new java.util.concurrent.atomic.AtomicInteger();

  public void add(String topic) {
    synchronized (writeLock) {
      Node n = root;
      for (String level : topic.split("/", -1)) {
        n = n.children.computeIfAbsent(level, k -> new Node());
      }
      if (!n.retained) {
        n.retained = true;
        size.incrementAndGet();
      }
    }
  }

  public void remove(String topic) {
    synchronized (writeLock) {
      String[] levels = topic.split("/", -1);
      Node[] path = new Node[levels.length + 1];
      path[0] = root;
      Node n = root;
      for (int i = 0; i < levels.length; i++) {
        n = n.children.get(levels[i]);
        if (n == null) {
          return;
        }
        path[i + 1] = n;
      }
      if (n.retained) {
        n.retained = false;
        size.decrementAndGet();
      }
      for (int i = levels.length; i > 0 && !path[i].retained && path[i].children.isEmpty(); i--) {
        path[i - 1].children.remove(levels[i - 1]);
      }
    }
  }

  public int size() {
    return size.get();
  }

  /** Topics matching {@code filter}; wildcards at the first level skip topics starting with '$'. */
  public List<String> match(String filter) {
    List<String> out = new ArrayList<>();
    walk(root, filter.split("/", -1), 0, new StringBuilder(), out);
    return out;
  }

  /**
   * Up to {@code limit} topics matching {@code filter} that sort after {@code after} (null: from
   * the first), in {@link String#compareTo} order: a page of a listing that can resume from its
   * last topic on any node.
   */
  public List<String> page(String filter, String after, int limit) {
    // the smallest `limit` topics after the cursor, kept in a heap with the largest on top
    PriorityQueue<String> smallest = new PriorityQueue<>(limit + 1, Comparator.reverseOrder());
    for (String topic : match(filter)) {
      if (after != null && topic.compareTo(after) <= 0) {
        continue;
      }
      if (smallest.size() < limit) {
        smallest.add(topic);
      } else if (topic.compareTo(smallest.peek()) < 0) {
        smallest.poll();
        smallest.add(topic);
      }
    }
    List<String> out = new ArrayList<>(smallest);
    out.sort(null);
    return out;
  }

  private void walk(Node node, String[] f, int i, StringBuilder path, List<String> out) {
    if (i == f.length) {
      if (node.retained) {
        out.add(path.toString());
      }
      return;
    }
    String level = f[i];
    if (level.equals("#")) {
      if (node.retained && i > 0) {
        out.add(path.toString()); // "a/#" matches "a"
      }
      collectAll(node, i, path, out);
      return;
    }
    if (level.equals("+")) {
      for (Map.Entry<String, Node> e : node.children.entrySet()) {
        if (i == 0 && e.getKey().startsWith("$")) {
          continue;
        }
        descend(e.getValue(), e.getKey(), f, i, path, out);
      }
      return;
    }
    Node child = node.children.get(level);
    if (child != null) {
      descend(child, level, f, i, path, out);
    }
  }

  private void descend(
      Node child, String level, String[] f, int i, StringBuilder path, List<String> out) {
    int mark = path.length();
    if (i > 0) {
      path.append('/');
    }
    path.append(level);
    walk(child, f, i + 1, path, out);
    path.setLength(mark);
  }

  private void collectAll(Node node, int depth, StringBuilder path, List<String> out) {
    for (Map.Entry<String, Node> e : node.children.entrySet()) {
      if (depth == 0 && e.getKey().startsWith("$")) {
        continue;
      }
      int mark = path.length();
      if (depth > 0) {
        path.append('/');
      }
      path.append(e.getKey());
      if (e.getValue().retained) {
        out.add(path.toString());
      }
      collectAll(e.getValue(), depth + 1, path, out);
      path.setLength(mark);
    }
  }
}
