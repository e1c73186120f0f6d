package io.mqttgrid;

import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.console.ConsoleRoutes;
import io.mqttgrid.http.HealthRoutes;
import io.mqttgrid.persistence.StateDatabase;

/**
 * Whether a node should be sent clients: started, the Hazelcast member running, and (with
 * split-brain protection on) enough members seen that the broker maps accept writes; a load
 * balancer sends clients only to ready nodes. Part of the node's wiring with {@link Broker}: it
 * asks the Hazelcast member.
 *
 * <p>It reads the node's parts each time it is asked, as they are at that moment: they come one by
 * one as the node starts.
 */
final class NodeReadiness {

  private final Broker node;

  NodeReadiness(Broker node) {
    this.node = node;
  }

  HealthRoutes.Readiness current() {
    BrokerConfig config = node.config();
    HazelcastInstance hazelcast = node.hazelcast();
    int members = 0;
    boolean clusterOk = false;
    try {
      if (hazelcast != null && hazelcast.getLifecycleService().isRunning()) {
        members = hazelcast.getCluster().getMembers().size();
        clusterOk = hasMinimumMembers();
      }
    } catch (RuntimeException e) {
      // shutting down
      clusterOk = false;
    }
    // a node whose cluster lost the database's lease writes nothing more: take it out of service. A
    // failing database is only reported: everything but retained writes and model changes still
    // works
    String database = null;
    boolean fenced = false;
    StateDatabase stateDatabase = node.stateDatabase();
    if (stateDatabase != null) {
      fenced = stateDatabase.fencedReason() != null;
      database = fenced ? "fenced" : stateDatabase.answering() ? "ok" : "failing";
    }
    var routing = node.routing();
    var bridges = node.bridges();
    return new HealthRoutes.Readiness(
        node.isReady() && clusterOk && !fenced,
        config.nodeId,
        members,
        database,
        routing == null ? null : routing.state(),
        bridges == null ? null : bridges.readinessDetails());
  }

  /** What the console shows of split-brain protection. */
  ConsoleRoutes.SplitBrain splitBrain() {
    BrokerConfig config = node.config();
    HazelcastInstance hazelcast = node.hazelcast();
    return new ConsoleRoutes.SplitBrain(
        config.splitBrainProtection,
        config.splitBrainMinimumMembers,
        hazelcast != null && hazelcast.getLifecycleService().isRunning() && hasMinimumMembers());
  }

  private boolean hasMinimumMembers() {
    if (!node.config().splitBrainProtection) {
      return true;
    }
    try {
      return node.hazelcast()
          .getSplitBrainProtectionService()
          .getSplitBrainProtection(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION)
          .hasMinimumSize();
    } catch (IllegalArgumentException e) {
      // the Hazelcast file defines no such protection (local mode, an operator's file): no map
      // refuses either
      return true;
    }
  }
}
