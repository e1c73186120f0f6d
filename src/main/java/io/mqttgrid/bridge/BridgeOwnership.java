package io.mqttgrid.bridge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which node runs each dataflow instance: a function of the dataflow's name, the instance's number
 * and the node ids of the cluster's members, so that every node that sees the same members comes to
 * the same answer without asking the others.
 *
 * <p>Rendezvous (highest random weight) hashing per dataflow: the members are ranked by a hash of
 * the dataflow's name and their node id, and instance {@code i} runs on the {@code i}-th of that
 * ranking (round again past the last member). So the instances of one dataflow run on different
 * nodes as long as there are nodes enough, different dataflows start their ranking on different
 * nodes, and when a node leaves, a single-instance dataflow moves only if it ran there (a member
 * leaving takes itself out of every ranking and leaves the others' order as it was). Hand-written:
 * the ranking is a few lines, and Hazelcast's partition table (the library that could decide it)
 * moves partitions in its own time, after the member list has changed, and is not visible outside
 * the cluster package.
 */
final class BridgeOwnership {

  private BridgeOwnership() {}

  /**
   * The node id of the member that runs instance {@code instance} (1-based) of {@code dataflow};
   * null when {@code nodes} is empty.
   */
  static String owner(String dataflow, int instance, List<String> nodes) {
    if (nodes.isEmpty()) {
      return null;
    }
    List<String> ranked = ranking(dataflow, nodes);
    return ranked.get((instance - 1) % ranked.size());
  }

  /** {@code nodes} by falling weight for {@code dataflow} (ties, which need a collision, by id). */
  static List<String> ranking(String dataflow, List<String> nodes) {
    List<String> ranked = new ArrayList<>(nodes);
    ranked.sort(
        Comparator.comparingLong((String node) -> weight(dataflow, node))
            .reversed()
            .thenComparing(Comparator.naturalOrder()));
    return ranked;
  }

  /**
   * A well-spread 64-bit weight of the pair: String.hashCode (the same in every JVM, by its
   * specification) of each part, mixed by the finalizer of MurmurHash3 so that names that differ in
   * one character do not rank alike.
   */
  private static long weight(String dataflow, String node) {
    long h = ((long) dataflow.hashCode() << 32) ^ (node.hashCode() & 0xffffffffL);
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
