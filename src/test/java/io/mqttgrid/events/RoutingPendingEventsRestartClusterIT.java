package io.mqttgrid.events;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.ClusterFixture;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routed events waiting for a retry outlive a restart of the whole cluster when a state database
 * keeps them (docs/persistence.md): a single node on the embedded store accepts messages whose
 * webhook fails, keeps them for a retry ten minutes away, is killed (kill -9) and started again;
 * the restarted node takes the batches of its earlier run over and delivers them.
 */
class RoutingPendingEventsRestartClusterIT {

  private static final int MESSAGES = 10;

  @TempDir Path dir;

  @Test
  void eventsWaitingForARetryAreDeliveredAfterTheWholeClusterRestarts() throws Exception {
    try (PendingEventsKit webhook = new PendingEventsKit();
        ClusterFixture node =
            ClusterFixture.start(
                RoutingPendingEventsRestartClusterIT.class.getSimpleName(),
                1,
                PendingEventsKit.settings(
                    webhook.namespaceFile(dir),
                    MESSAGES,
                    "cluster.mode",
                    "local",
                    "persistence.store",
                    "embedded",
                    "persistence.embedded.directory",
                    dir.resolve("data").toString()))) {
      Mqtt5BlockingClient c = node.v5(1, "restart-publisher");
      c.connect();
      PendingEventsKit.publish(c, "restart", MESSAGES);
      webhook.awaitFirstAttemptsFailed(MESSAGES);
      // in the map, so written through to the state database
      PendingEventsKit.awaitKept(node, MESSAGES, 1);

      node.kill(1);
      webhook.failing = false;
      node.restart(1);
      node.awaitReady(1, Duration.ofSeconds(90));

      webhook.awaitDelivered(
          "the restarted node delivers every event its earlier run was retrying",
          "restart",
          MESSAGES);
    }
  }
}
