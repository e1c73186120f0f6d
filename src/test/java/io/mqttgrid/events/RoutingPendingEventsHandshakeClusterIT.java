package io.mqttgrid.events;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch taken over from a dead node is kept in the cluster from its taking over, not from its
 * next failed attempt (docs/routing.md#delivery): node 1 keeps batches for a retry and is killed;
 * the survivor that takes them over waits for its validation handshake, which the webhook leaves
 * unanswered, and is killed in turn; the last node takes them over again and delivers them.
 */
class RoutingPendingEventsHandshakeClusterIT {

  private static final int MESSAGES = 5;

  @TempDir static Path dir;
  static PendingEventsKit webhook;
  static ClusterFixture cluster;

  @BeforeAll
  static void startReceiverAndCluster() throws Exception {
    webhook = new PendingEventsKit();
    cluster =
        ClusterFixture.start(
            RoutingPendingEventsHandshakeClusterIT.class.getSimpleName(),
            3,
            PendingEventsKit.settings(
                webhook.namespaceFile(dir),
                MESSAGES,
                "namespace.name",
                "clusterns",
                // the unanswered handshake holds the batches this long, past the end of the test
                "routing.timeout-ms",
                "300000"));
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(cluster, webhook);
  }

  @Test
  void aBatchTakenOverAndWaitingForTheHandshakeSurvivesTheDeathOfItsNewNode() throws Exception {
    Mqtt5BlockingClient c = cluster.v5(1, "pending-publisher");
    c.connect();
    PendingEventsKit.publish(c, "pending", MESSAGES);
    webhook.awaitFirstAttemptsFailed(MESSAGES);
    // each batch is in the cluster with a backup: node 1's death leaves a copy
    PendingEventsKit.awaitKept(cluster, MESSAGES, 1, 2, 3);
    webhook.failing = false;
    webhook.answersHandshakes = false;

    cluster.kill(1);
    cluster.awaitMembers(2, PendingEventsKit.WAIT, 2, 3);
    // the survivor that took the batches over asks the handshake, which hangs: they wait there
    Await.until(
        "the survivor asks the handshake",
        PendingEventsKit.WAIT,
        () -> webhook.unansweredHandshakes.get() >= 1);
    int[] holder = new int[1];
    Await.until(
        "one survivor holds the events",
        PendingEventsKit.WAIT,
        () -> {
          for (int i : new int[] {2, 3}) {
            if (PendingEventsKit.buffered(cluster, i) >= MESSAGES) {
              holder[0] = i;
              return true;
            }
          }
          return false;
        });
    int last = holder[0] == 2 ? 3 : 2;
    // kept again, as the holder's, from their taking over (node 1's copies were taken off the
    // map): each with a backup, so the last node has a copy
    PendingEventsKit.awaitKept(cluster, MESSAGES, holder[0], last);
    webhook.answersHandshakes = true;

    cluster.kill(holder[0]);
    cluster.awaitMembers(1, PendingEventsKit.WAIT, last);
    webhook.awaitDelivered("the last node delivers every event", "pending", MESSAGES);
  }
}
