package io.mqttgrid.bridge;

import io.mqttgrid.cluster.ClusterMembership;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dataflow instances of the bridges in force, and which of them this node runs: each instance
 * is run by one node of the cluster, which {@link BridgeOwnership} picks from the node ids of the
 * members: every node computes the same owner from the member list it sees, with no cluster call,
 * and starts or stops its instances when that list changes. Were every node to run an instance,
 * each remote-to-local message would arrive once per node and the nodes would take the instance's
 * sessions (same client ids) from each other in turn. The instances of a dataflow with {@code
 * instanceCount} > 1 run on different nodes, and share the load through their shared subscriptions.
 *
 * <p>When the node that runs an instance leaves, the survivor the ranking names next starts it at
 * once: its local session moves with the session takeover and its remote session is resumed under
 * the same client id, so nothing queued on either side is lost. When an instance moves off a node
 * that is still a member (a node joined), the new owner waits {@link #HANDOVER_MILLIS} first, so
 * that the old owner, which sees the same change, has stopped it; should it not have, the new
 * owner's connections take both sessions over (the local one stops it there). A single node simply
 * runs them all.
 *
 * <p>Everything here runs on the bridges' context.
 */
final class DataflowInstances {

  /** The bridges' logger: operators know these lines by it, whichever class writes them. */
  private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);

  /**
   * How long a node waits before it starts an instance that moves to it from a member that is still
   * there: the old owner sees the same membership change within milliseconds and stops it
   * meanwhile.
   */
  static final long HANDOVER_MILLIS = 1000;

  private final Vertx vertx;
  private final ClusterMembership membership;
  private final LoopGuard loops;
  private final RemovedInstanceSessions removedSessions;

  /** Makes instance i (from 1) of a dataflow, not started. */
  private final BiFunction<BridgeFile.Dataflow, Integer, DataflowBridge> maker;

  /** The instances of each dataflow, by dataflow name, in the file's order. */
  private final Map<String, List<DataflowBridge>> running = new LinkedHashMap<>();

  /** The bridges in force: the file's dataflows and endpoints with the management API's. */
  private BridgeFile file;

  /** This node's id as the members list shows it; null while it shows none. */
  private String localNode;

  private boolean stopped;

  /** The instances of {@code file}'s dataflows, none started until {@link #decide}. */
  DataflowInstances(
      Vertx vertx,
      BridgeFile file,
      ClusterMembership membership,
      LoopGuard loops,
      RemovedInstanceSessions removedSessions,
      BiFunction<BridgeFile.Dataflow, Integer, DataflowBridge> maker) {
    this.vertx = vertx;
    this.file = file;
    this.membership = membership;
    this.loops = loops;
    this.removedSessions = removedSessions;
    this.maker = maker;
    for (BridgeFile.Dataflow flow : file.dataflows()) {
      running.put(flow.name(), instances(flow));
    }
  }

  /** The bridges in force (as last applied). */
  BridgeFile file() {
    return file;
  }

  /** The instances of each dataflow, in the file's order (all of them, wherever they run). */
  Collection<List<DataflowBridge>> byDataflow() {
    return Collections.unmodifiableCollection(running.values());
  }

  /** This node's id as the members list showed it when last read; null while it showed none. */
  String localNode() {
    return localNode;
  }

  /** The instances of {@code flow} (not started). */
  private List<DataflowBridge> instances(BridgeFile.Dataflow flow) {
    List<DataflowBridge> out = new ArrayList<>();
    for (int i = 1; i <= flow.instanceCount(); i++) {
      out.add(maker.apply(flow, i));
    }
    return out;
  }

  /** Whether this node runs {@code b}, as last decided. */
  boolean runsHere(DataflowBridge b) {
    return localNode != null && localNode.equals(b.node());
  }

  /**
   * The node ids of the members, oldest first, and this node's among them ({@link #localNode});
   * none while this node is not a running member (it then runs nothing).
   */
  private List<String> members() {
    List<String> nodes = new ArrayList<>();
    String here = null;
    for (ClusterMembership.MemberInfo m : membership.members()) {
      if (m.node() != null) {
        nodes.add(m.node());
        if (m.local()) {
          here = m.node();
        }
      }
    }
    localNode = here;
    return here == null ? List.of() : nodes;
  }

  /**
   * Starts the instances this node runs by the members it sees now and stops those it no longer
   * runs; an instance that moves here from a member still present starts after {@link
   * #HANDOVER_MILLIS}, one whose node left (or any on a single node) at once. An instance of this
   * node that another node's session takeover stopped (both thought they ran it) starts again here
   * too, after the same wait.
   */
  void decide() {
    if (stopped) {
      return;
    }
    List<String> nodes = members();
    List<String> starting = new ArrayList<>();
    List<String> stopping = new ArrayList<>();
    for (List<DataflowBridge> instances : running.values()) {
      for (DataflowBridge b : instances) {
        String before = b.node();
        String now = BridgeOwnership.owner(b.flow().name(), b.instance(), nodes);
        b.runsOn(now);
        boolean mine = now != null && now.equals(localNode);
        if (!mine && !b.isStopped()) {
          stopping.add(b.flow().instanceName(b.instance()));
          b.stop();
        } else if (mine && b.isStopped()) {
          starting.add(b.flow().instanceName(b.instance()));
          boolean previousGone =
              before != null && !before.equals(localNode) && !nodes.contains(before);
          if (previousGone || nodes.size() == 1) {
            b.start();
          } else {
            startAfterHandover(b);
          }
        }
      }
    }
    if (!starting.isEmpty() && stopping.isEmpty()) {
      LOG.info(
          "bridge: with the members {} this node starts the dataflow instances {}",
          nodes,
          starting);
    } else if (!stopping.isEmpty()) {
      LOG.info(
          "bridge: with the members {} this node starts the dataflow instances {} and stops {}"
              + " (other nodes run them now)",
          nodes,
          starting,
          stopping);
    }
  }

  /** Starts {@code b} after the handover wait, if this node still runs it then. */
  private void startAfterHandover(DataflowBridge b) {
    vertx.setTimer(
        HANDOVER_MILLIS,
        t -> {
          List<DataflowBridge> current = running.get(b.flow().name());
          if (!stopped && current != null && current.contains(b) && runsHere(b) && b.isStopped()) {
            b.start();
          }
        });
  }

  /**
   * Makes the running dataflows those of {@code next} ({@code what} changed, as the log says):
   * removed and changed ones stop, the instances of added and changed ones that this node runs
   * start; local sessions of the bridge that no dataflow uses any more are ended and deleted (by
   * the oldest member), so that they stop queueing.
   */
  void apply(BridgeFile next, String what) {
    if (stopped) {
      return;
    }
    Map<String, BridgeFile.Dataflow> wanted = new LinkedHashMap<>();
    next.dataflows().forEach(d -> wanted.put(d.name(), d));
    Set<String> sessionsBefore = localSessionIds();
    List<String> removed = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<String> added = new ArrayList<>();
    List<Future<Void>> stops = new ArrayList<>();
    Map<String, List<DataflowBridge>> kept = new LinkedHashMap<>(running);
    for (Map.Entry<String, List<DataflowBridge>> e : running.entrySet()) {
      BridgeFile.Dataflow now = wanted.get(e.getKey());
      BridgeFile.Dataflow before = e.getValue().get(0).flow();
      if (now == null || !now.equals(before)) {
        (now == null ? removed : changed).add(e.getKey());
        e.getValue().forEach(b -> stops.add(b.stop()));
        kept.remove(e.getKey());
      }
    }
    running.clear();
    for (BridgeFile.Dataflow d : next.dataflows()) {
      List<DataflowBridge> instances = kept.get(d.name());
      if (instances == null) {
        if (!changed.contains(d.name())) {
          added.add(d.name());
        }
        instances = instances(d);
        List<String> nodes = members();
        for (DataflowBridge b : instances) {
          b.runsOn(BridgeOwnership.owner(d.name(), b.instance(), nodes));
        }
      }
      running.put(d.name(), instances);
    }
    file = next;
    loops.file(next);
    if (removed.isEmpty() && changed.isEmpty() && added.isEmpty()) {
      return;
    }
    LOG.info(
        "{} and was applied: dataflows added {}, changed {}, removed {}",
        what,
        added,
        changed,
        removed);
    Set<String> unused = new HashSet<>(sessionsBefore);
    unused.removeAll(localSessionIds());
    Future.join(stops)
        .onComplete(
            x -> {
              if (stopped) {
                return;
              }
              if (membership.isOldest()) {
                unused.forEach(removedSessions::delete);
              }
              for (String name : running.keySet()) {
                if (added.contains(name) || changed.contains(name)) {
                  running.get(name).stream().filter(this::runsHere).forEach(DataflowBridge::start);
                }
              }
            });
  }

  /** The client ids of the bridge's sessions here (local-to-remote instances). */
  private Set<String> localSessionIds() {
    Set<String> ids = new HashSet<>();
    running
        .values()
        .forEach(
            list ->
                list.forEach(
                    b -> {
                      if (b.flow().direction() == BridgeFile.Direction.LOCAL_TO_REMOTE) {
                        ids.add(b.localClientId());
                      }
                    }));
    return ids;
  }

  /**
   * Stops every instance for good (nothing is decided or applied after): remote connections closed,
   * local sessions offline (and queueing).
   */
  Future<Void> stopAll() {
    stopped = true;
    List<Future<Void>> all = new ArrayList<>();
    running.values().forEach(list -> list.forEach(b -> all.add(b.stop())));
    return Future.join(all).mapEmpty();
  }
}
