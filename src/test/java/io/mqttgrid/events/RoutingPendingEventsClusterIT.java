package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routed events waiting for a retry outlive the node that held them (docs/routing.md): node 1
 * accepts messages whose webhook fails, keeps them for a retry ten minutes away, and is killed
 * (kill -9); node 2, the survivor, takes them over from the cluster and delivers them.
 */
class RoutingPendingEventsClusterIT {

  private static final int MESSAGES = 10;

  @TempDir static Path dir;
  static PendingEventsKit webhook;
  static ClusterFixture cluster;

  @BeforeAll
  static void startReceiverAndCluster() throws Exception {
    webhook = new PendingEventsKit();
    cluster =
        ClusterFixture.start(
            RoutingPendingEventsClusterIT.class.getSimpleName(),
            2,
            PendingEventsKit.settings(
                webhook.namespaceFile(dir), MESSAGES, "namespace.name", "clusterns"));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(cluster, webhook);
  }

  @Test
  void eventsWaitingForARetryOnANodeThatDiesAreDeliveredByTheSurvivor() throws Exception {
    Mqtt5BlockingClient c = cluster.v5(1, "pending-publisher");
    c.connect();
    PendingEventsKit.publish(c, "pending", MESSAGES);
    webhook.awaitFirstAttemptsFailed(MESSAGES);
    // each batch node 1 keeps for its retry is in the cluster with a backup: node 2 has a copy
    PendingEventsKit.awaitKept(cluster, MESSAGES, 1, 2);
    webhook.failing = false;
    assertThat(webhook.delivered).isEmpty();

    cluster.kill(1);
    cluster.awaitMembers(1, PendingEventsKit.WAIT, 2);

    webhook.awaitDelivered(
        "the survivor delivers every event node 1 was retrying", "pending", MESSAGES);
  }
}
