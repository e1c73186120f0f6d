package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.LoopbackHazelcast;
import io.mqttgrid.testing.SlowSubscriberFanIn;
import io.mqttgrid.testing.TestBroker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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
    int portA = TestBroker.freePort();
    int portB = TestBroker.freePort();
    String cluster = "fanin-" + System.nanoTime();
    try (TestBroker a = start("a", cluster, portA, portA, portB);
        TestBroker b = start("b", cluster, portB, portA, portB)) {
      long deadline = System.currentTimeMillis() + 30_000;
      while (a.broker().hazelcast().getCluster().getMembers().size() < 2
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(a.broker().hazelcast().getCluster().getMembers()).hasSize(2);
      new SlowSubscriberFanIn(4, 1_000).run(b, a).assertNothingLost();
    }
  }

  private TestBroker start(String node, String cluster, int port, int... members) throws Exception {
    Map<String, String> config = new HashMap<>();
    // as FanInNoLossIT: a few thousand messages far beyond 1,000 waiting for the subscriber; each
    // publisher at most 50 unacknowledged
    config.put("session.max-pending-messages", "1000");
    config.put("limits.receive-maximum", "50");
    config.put("node.id", node);
    config.put("cluster.mode", "file");
    config.put(
        "cluster.config-file",
        LoopbackHazelcast.configFile(dir, node + ".xml", cluster, port, members).toString());
    return TestBroker.start(config);
  }
}
