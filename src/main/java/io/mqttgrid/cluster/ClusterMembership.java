package io.mqttgrid.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in the cluster, by node id (a Hazelcast member attribute), and what follows when that
 * changes: routes of a departed node are ignored at once and purged by the oldest survivor (lesson
 * 2); after a partition heals, every node announces its routes again.
 */
public final class ClusterMembership {

  public static final String NODE_ATTRIBUTE = "mqttgrid.node";
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);

  private final HazelcastInstance hz;
  private final HazelcastRouteTable routes;
  private final Vertx vertx;
  private final Function<String, Future<?>> adoptSessions;
  private final Consumer<String> nodeLeft;
  private final Consumer<String> nodeJoined;
  private UUID membershipListener;
  private UUID lifecycleListener;
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

  /**
   * @param adoptSessions takes over the sessions a departed node hosted (on the oldest survivor)
   * @param nodeLeft told on every survivor when a node leaves
   * @param nodeJoined told when a node joins (or comes back with the same id)
   */
  public ClusterMembership(
      HazelcastInstance hz,
      HazelcastRouteTable routes,
      Vertx vertx,
      Function<String, Future<?>> adoptSessions,
      Consumer<String> nodeLeft,
      Consumer<String> nodeJoined) {
    this.hz = hz;
    this.routes = routes;
    this.vertx = vertx;
    this.adoptSessions = adoptSessions;
    this.nodeLeft = nodeLeft;
    this.nodeJoined = nodeJoined;
  }

  public void start() {
    membershipListener =
        hz.getCluster()
            .addMembershipListener(
                new MembershipListener() {
                  @Override
                  public void memberAdded(MembershipEvent event) {
                    refresh();
                    String joined = nodeOf(event.getMember());
                    if (joined != null) {
                      nodeJoined.accept(joined);
                    }
                    LOG.info(
                        "node {} ({}) joined; cluster has {} members",
                        nodeOf(event.getMember()),
                        event.getMember().getAddress(),
                        event.getMembers().size());
                    membersChanged();
                  }

                  @Override
                  public void memberRemoved(MembershipEvent event) {
                    refresh();
                    String gone = nodeOf(event.getMember());
                    LOG.info(
                        "node {} ({}) left; cluster has {} members",
                        gone,
                        event.getMember().getAddress(),
                        event.getMembers().size());
                    if (gone != null) {
                      nodeLeft.accept(gone);
                      if (isOldest()) {
                        takeOver(gone);
                      }
                    }
                    membersChanged();
                  }
                });
    lifecycleListener =
        hz.getLifecycleService()
            .addLifecycleListener(
                event -> {
                  if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    LOG.info("cluster partition healed: announcing this node's routes again");
                    refresh();
                    routes.reannounce();
                    membersChanged();
                  }
                });
    refresh();
  }

  /**
   * The oldest survivor adopts the departed node's sessions (their routes are then announced from
   * here), and only then purges the departed node's routes, so that no moment exists in which a
   * persistent session of that node has no route at all.
   */
  private void takeOver(String gone) {
    long started = System.currentTimeMillis();
    adoptSessions
        .apply(gone)
        .recover(
            e -> {
              LOG.warn("sessions of departed node {} not all taken over: {}", gone, e.toString());
              return Future.succeededFuture();
            })
        .compose(
            x ->
                vertx.executeBlocking(
                    () -> {
                      routes.reannounce().toCompletableFuture().join();
                      routes.purge(gone);
                      return null;
                    },
                    false))
        .onComplete(
            ar ->
                LOG.info(
                    "departed node {} handled in {} ms{}",
                    gone,
                    System.currentTimeMillis() - started,
                    ar.failed() ? ": " + ar.cause() : ""));
  }

  private void refresh() {
    Set<String> nodes = new HashSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      String node = nodeOf(m);
      if (node != null) {
        nodes.add(node);
      }
    }
    routes.liveNodes(nodes);
  }

  /**
   * Whether this node is the oldest member of the cluster it sees: the one node that does what must
   * happen once (adopting a departed node's sessions, running the bridges). False while the member
   * is not running.
   */
  public boolean isOldest() {
    try {
      Member oldest = hz.getCluster().getMembers().iterator().next();
      return oldest.localMember();
    } catch (RuntimeException e) {
      return false; // the member is shutting down
    }
  }

  /** A member as the management API shows it. */
  public record MemberInfo(String node, String address, boolean local) {}

  /**
   * The members this node sees, oldest first (the member list Hazelcast keeps locally: no cluster
   * call); empty while the member is not running.
   */
  public List<MemberInfo> members() {
    List<MemberInfo> out = new ArrayList<>();
    try {
      for (Member m : hz.getCluster().getMembers()) {
        out.add(new MemberInfo(nodeOf(m), m.getAddress().toString(), m.localMember()));
      }
    } catch (RuntimeException e) {
      return List.of(); // the member is shutting down
    }
    return out;
  }

  /**
   * Calls {@code listener} (on a Hazelcast thread) after each change of the members: joined, left,
   * merged.
   */
  public void onMembersChanged(Runnable listener) {
    changeListeners.add(listener);
  }

  private void membersChanged() {
    for (Runnable r : changeListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("member change listener failed: {}", e.toString());
      }
    }
  }

  private static String nodeOf(Member m) {
    return m.getAttribute(NODE_ATTRIBUTE);
  }

  public void stop() {
    if (membershipListener != null) {
      hz.getCluster().removeMembershipListener(membershipListener);
    }
    if (lifecycleListener != null) {
      hz.getLifecycleService().removeLifecycleListener(lifecycleListener);
    }
  }
}
