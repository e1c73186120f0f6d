package io.mqttgrid.hazelcast;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's subscribers per filter, counted: the route table holds only whether a node has any,
 * so only the first announcement and the last withdrawal of a filter change the table. Called from
 * every event loop of the node, hence synchronized.
 */
final class LocalRouteCounts {

  private final Map<String, Integer> counts = new HashMap<>();

  /** Counts a subscriber of {@code filter}; whether it is the first. */
  synchronized boolean add(String filter) {
    return counts.merge(filter, 1, Integer::sum) == 1;
  }

  /**
   * Uncounts a subscriber of {@code filter}; whether it was the last (false for a filter not
   * counted at all).
   */
  synchronized boolean remove(String filter) {
    Integer n = counts.get(filter);
    if (n == null) {
      return false;
    }
    if (n == 1) {
      counts.remove(filter);
      return true;
    }
    counts.put(filter, n - 1);
    return false;
  }

  /** Every filter with a subscriber here. */
  synchronized List<String> filters() {
    return new ArrayList<>(counts.keySet());
  }

  /**
   * Which of {@code filters} have a subscriber here, in one look: a batch of route changes is
   * written as this says when it goes out.
   */
  synchronized Set<String> counted(Collection<String> filters) {
    Set<String> counted = new HashSet<>();
    for (String filter : filters) {
      if (counts.containsKey(filter)) {
        counted.add(filter);
      }
    }
    return counted;
  }
}
