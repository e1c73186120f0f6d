package io.mqttgrid.cluster;

import io.mqttgrid.testing.SlowSubscriberFanIn;
import io.mqttgrid.testing.TwoNodes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FanInNoLossIT} across two nodes (in one JVM, joined over loopback TCP): four publishers on
 * one node, their slower clean QoS 1 subscriber on the other. The subscriber's session, once
 * behind, answers the deliveries from the other node only when each is sent (the answer goes back
 * over the event bus), so the publishers are paced by their Receive Maximum there as on one node:
 * nothing they were acknowledged for is dropped, and the held answers do not time out the
 * node-to-node requests.
 */
class CrossNodeFanInNoLossIT {

  @TempDir Path dir;

  @Test
  void fourPublishersOnOneNodeOneSlowerSubscriberOnAnotherLoseNothing() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(dir, SlowSubscriberFanIn.SMALL_SESSION_BOUNDS)) {
      new SlowSubscriberFanIn(4, 1_000).run(nodes.b, nodes.a).assertNothingLost();
    }
  }
}
