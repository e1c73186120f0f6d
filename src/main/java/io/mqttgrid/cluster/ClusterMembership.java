package io.mqttgrid.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in the cluster, by node id (a Hazelcast member attribute), and what follows when that changes:
 * routes of a departed node are ignored at once and purged by the oldest survivor (lesson 2); after a
 * partition heals, every node announces its routes again.
 */
public final class ClusterMembership {

  public static final String NODE_ATTRIBUTE = "mqttgrid.node";
  private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);

  private final HazelcastInstance hz;
  private final HazelcastRouteTable routes;
  private UUID membershipListener;
  private UUID lifecycleListener;

  public ClusterMembership(HazelcastInstance hz, HazelcastRouteTable routes) {
    this.hz = hz;
    this.routes = routes;
  }

  public void start() {
    membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        refresh();
        LOG.info("node {} ({}) joined; cluster has {} members", nodeOf(event.getMember()),
            event.getMember().getAddress(), event.getMembers().size());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        refresh();
        String gone = nodeOf(event.getMember());
        LOG.info("node {} ({}) left; cluster has {} members", gone, event.getMember().getAddress(),
            event.getMembers().size());
        if (gone != null && isOldest()) {
          routes.purge(gone);
        }
      }
    });
    lifecycleListener = hz.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        LOG.info("cluster partition healed: announcing this node's routes again");
        refresh();
        routes.reannounce();
      }
    });
    refresh();
  }

  public int size() {
    return hz.getCluster().getMembers().size();
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

  private boolean isOldest() {
    Member oldest = hz.getCluster().getMembers().iterator().next();
    return oldest.localMember();
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
