package io.mqttgrid.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.mqttgrid.events.PendingEvents;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routed events waiting for a retry in the IMap {@code mqttgrid.routing-pending}, keyed {@code
 * <node>/<batch id>}, with the backups of the other broker maps: when a node dies its batches are
 * still there, and the oldest survivor takes them (a remove: one taker) and sends them. Bounded by
 * the nodes' buffers: a node keeps only batches it holds ({@code routing.buffer-events} per
 * destination).
 */
public final class HazelcastPendingEvents implements PendingEvents {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastPendingEvents.class);

  public static final String MAP = "mqttgrid.routing-pending";

  private final HazelcastInstance hz;
  private final String node;
  private final String nodeAttribute;
  private final IMap<String, String> map;

  public HazelcastPendingEvents(HazelcastInstance hz, String node, String nodeAttribute) {
    this.hz = hz;
    this.node = node;
    this.nodeAttribute = nodeAttribute;
    this.map = hz.getMap(MAP);
  }

  /** The map's backups unless the operator's Hazelcast file configures it. */
  public static void configure(Config config, int backupCount) {
    if (!config.getMapConfigs().containsKey(MAP)) {
      config.addMapConfig(new MapConfig(MAP).setBackupCount(backupCount));
    }
  }

  @Override
  public void keep(String id, String batch) {
    map.setAsync(node + "/" + id, batch)
        .exceptionally(
            e -> {
              LOG.warn("pending routed events not kept in the cluster: {}", e.toString());
              return null;
            });
  }

  @Override
  public void forget(String id) {
    map.deleteAsync(node + "/" + id)
        .exceptionally(
            e -> {
              LOG.warn("pending routed events not forgotten in the cluster: {}", e.toString());
              return null;
            });
  }

  @Override
  public void onNodeLost(Executor blocking, Consumer<String> taken) {
    hz.getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {}

              @Override
              public void memberRemoved(MembershipEvent event) {
                String gone = event.getMember().getAttribute(nodeAttribute);
                if (gone == null || !oldest()) {
                  return;
                }
                blocking.execute(() -> takeOver(gone, taken));
              }
            });
  }

  /**
   * On the oldest member only (the first node of a cluster restarted against a state database): the
   * batches of every node that is not a member now (this node's own earlier run under the same node
   * id included: nothing of its memory is left) are taken off the map and given to {@code taken}.
   */
  @Override
  public void takeOverOrphans(Executor blocking, Consumer<String> taken) {
    if (oldest()) {
      blocking.execute(() -> takeOverOrphans(taken));
    }
  }

  private void takeOverOrphans(Consumer<String> taken) {
    try {
      Set<String> members = new HashSet<>();
      for (Member m : hz.getCluster().getMembers()) {
        String id = m.getAttribute(nodeAttribute);
        if (id != null && !m.localMember()) {
          members.add(id);
        }
      }
      Set<String> gone = new TreeSet<>();
      for (String key : map.keySet()) {
        int slash = key.indexOf('/');
        String owner = slash < 0 ? key : key.substring(0, slash);
        if (!members.contains(owner)) {
          gone.add(owner);
        }
      }
      gone.forEach(owner -> takeOver(owner, taken));
    } catch (RuntimeException e) {
      LOG.warn("routed events of earlier nodes not taken over: {}", e.toString());
    }
  }

  /** Blocking: takes the batches of {@code gone} off the map, one by one. */
  private void takeOver(String gone, Consumer<String> taken) {
    try {
      int n = 0;
      for (String key : map.keySet(new KeyHasPrefix(gone + "/", false))) {
        String batch = map.remove(key);
        if (batch != null) {
          taken.accept(batch);
          n++;
        }
      }
      if (n > 0) {
        LOG.info("took over {} batches of routed events waiting for a retry on {}", n, gone);
      }
    } catch (RuntimeException e) {
      LOG.warn("routed events of departed node {} not taken over: {}", gone, e.toString());
    }
  }

  private boolean oldest() {
    try {
      Member oldest = hz.getCluster().getMembers().iterator().next();
      return oldest.localMember();
    } catch (RuntimeException e) {
      return false; // shutting down
    }
  }
}
