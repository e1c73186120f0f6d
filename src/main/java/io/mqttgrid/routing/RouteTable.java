package io.mqttgrid.routing;

import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The cluster route table (docs/architecture.md, "Where state lives"): which nodes have subscribers
 * for which filters. Each node writes only its own routes (a route for the first local subscriber
 * of a filter, removed with the last) and every node matches against a local mirror, so a publish
 * is sent once to each interested node and never broadcast.
 */
public interface RouteTable {

  /** This node now has a subscriber for {@code filter} (plain, or {@code $share/group/filter}). */
  void announce(String filter);

  /** This node no longer has a subscriber for {@code filter}. */
  void withdraw(String filter);

  /** Other nodes with a plain subscription matching {@code topic}. */
  Set<String> remoteNodesFor(String topic);

  /**
   * For every shared subscription group matching {@code topic} anywhere in the cluster: the group
   * key ({@code $share/group/filter}) and the nodes that have members of it (this node included).
   */
  void sharedGroupsFor(String topic, BiConsumer<String, Set<String>> sink);

  /**
   * Completes once every route this node announced so far is known to the other nodes (or they did
   * not answer in time), so that a SUBACK sent after it means: a message published from now on, on
   * any node, reaches the new subscription.
   */
  io.vertx.core.Future<Void> announcedEverywhere();

  /** This node's id, as it appears in the table. */
  String localNode();
}
