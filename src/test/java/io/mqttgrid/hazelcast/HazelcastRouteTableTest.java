package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.testing.Await;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The route table on a one-member cluster, as a node alone sees it. */
class HazelcastRouteTableTest {

  private static final long WITHDRAWN_MEMORY_MS = 2_000;

  private static Vertx vertx;
  private static HazelcastInstance hazelcast;
  private static String node;

  @BeforeAll
  static void startMember() {
    vertx = Vertx.vertx();
    node = "route-test-" + UUID.randomUUID();
    hazelcast =
        Hazelcast.newHazelcastInstance(
            HazelcastConfigFactory.create(BrokerConfig.of(Map.of("node.id", node))));
  }

  @AfterAll
  static void stopMember() {
    hazelcast.shutdown();
    vertx.close();
  }

  @Test
  void aNodeAloneDoesNotWaitForTheTableWriteBeforeItsSuback() {
    HazelcastRouteTable table =
        new HazelcastRouteTable(vertx, hazelcast, node, 1_000, WITHDRAWN_MEMORY_MS);
    try {
      table.liveNodes(Set.of(node));
      table.announce("alone/filter");
      assertTrue(table.announcedEverywhere().isComplete());
      assertTrue(table.routedHere("alone/filter"));
    } finally {
      table.close();
    }
  }

  @Test
  void aNodeWithOthersWaitsUntilTheyHeardOfANewRoute() {
    HazelcastRouteTable table =
        new HazelcastRouteTable(vertx, hazelcast, node, 1_000, WITHDRAWN_MEMORY_MS);
    try {
      // the other node has no consumer here, so its answer fails; the announcement waits for the
      // table write and that answer
      table.liveNodes(Set.of(node, "some-other-node"));
      table.announce("together/filter");
      assertTrue(!table.announcedEverywhere().isComplete());
      Await.until(
          "the announcement given up on the silent node",
          java.time.Duration.ofSeconds(10),
          () -> table.announcedEverywhere().isComplete());
    } finally {
      table.close();
    }
  }

  @Test
  void withdrawnFiltersAreForgottenOnANodeThatNobodyDeliversTo() throws InterruptedException {
    HazelcastRouteTable table =
        new HazelcastRouteTable(vertx, hazelcast, node, 1_000, WITHDRAWN_MEMORY_MS);
    try {
      for (int i = 0; i < 1_000; i++) {
        String filter = "devices/d" + i + "/commands";
        table.announce(filter);
        table.withdraw(filter);
      }
      // a delivery sent by a node that had not yet heard of the withdrawal is still expected
      assertTrue(table.routedHere("devices/d999/commands"));
      assertTrue(table.rememberedWithdrawals() > 0);

      // routedHere() is not called again: the memory must shrink on its own
      long deadline = System.currentTimeMillis() + 10_000;
      while (table.rememberedWithdrawals() > 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(0, table.rememberedWithdrawals());
      assertTrue(!table.routedHere("devices/d999/commands"));
    } finally {
      table.close();
    }
  }
}
