package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.testing.PersistentSubscribersBehind;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TwoNodes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connected persistent subscribers far behind their publisher on one node, whose stored queues live
 * on the other member of two: what does not fit a session's pending stage is kept by the store
 * alone and read back from it, so those reads (and their answers) cross members. Every message
 * acknowledged to the publisher must still reach each subscriber once, in order. The single-node
 * version is PersistentSubscriberBehindIT; this one covers the read-back's serialization and
 * ordering when the queue's partition is remote.
 */
class CrossNodePersistentBehindIT {

  @TempDir Path dir;

  @Test
  void subscribersWhoseQueuesLiveOnTheOtherMemberGetEveryAcknowledgedMessageInOrder()
      throws Exception {
    try (TwoNodes nodes = TwoNodes.start(dir, Map.of("session.max-pending-messages", "50"))) {
      TestBroker publisherNode = nodes.a;
      TestBroker subscriberNode = nodes.b;
      List<String> ids = idsOwnedBy(publisherNode.broker().hazelcast(), 2);

      new PersistentSubscribersBehind(4_000, ids).run(subscriberNode, publisherNode);
      assertThat(
              TestBroker.metricValue(
                  subscriberNode.scrapeMetrics(),
                  "mqttgrid_messages_dropped_total",
                  "reason=\"queue-full\""))
          .as("messages dropped for a full queue on the subscribers' node")
          .isZero();
    }
  }

  /** Client ids whose session state (record and stored queue) is kept by {@code owner}. */
  private static List<String> idsOwnedBy(HazelcastInstance owner, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; ids.size() < count; i++) {
      String id = "remote-behind-sub-" + i;
      if (owner
          .getPartitionService()
          .getPartition(id)
          .getOwner()
          .equals(owner.getCluster().getLocalMember())) {
        ids.add(id);
      }
    }
    return ids;
  }
}
