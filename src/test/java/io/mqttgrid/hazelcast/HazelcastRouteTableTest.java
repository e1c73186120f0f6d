package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
  void aNodeAloneDoesNotWaitForTheTableWriteBeforeItsSuback() throws Exception {
    HazelcastRouteTable table =
        new HazelcastRouteTable(vertx, hazelcast, node, 1_000, WITHDRAWN_MEMORY_MS);
    String filter = "alone/filter";
    // the table write cannot land while another thread holds the entry's lock
    ExecutorService locker = Executors.newSingleThreadExecutor();
    IMap<String, String> routes = hazelcast.getMap(HazelcastRouteTable.MAP);
    String key = HazelcastRouteTable.key(node, filter);
    locker.submit(() -> routes.lock(key)).get(10, TimeUnit.SECONDS);
    try {
      table.liveNodes(Set.of(node));
      table.announce(filter);
      assertTrue(table.announcedEverywhere().isComplete());
      assertTrue(table.routedHere(filter));
    } finally {
      locker.submit(() -> routes.unlock(key)).get(10, TimeUnit.SECONDS);
      locker.shutdown();
      table.close();
    }
  }

  @Test
  void aNodeWithOthersWaitsUntilTheyHeardOfANewRoute() {
    HazelcastRouteTable table =
        new HazelcastRouteTable(vertx, hazelcast, node, 5_000, WITHDRAWN_MEMORY_MS);
    String other = "other-" + UUID.randomUUID();
    // the other node hears of the route, and answers only when the test lets it
    CompletableFuture<Message<Object>> heard = new CompletableFuture<>();
    MessageConsumer<Object> otherNode =
        vertx.eventBus().consumer(HazelcastRouteTable.newsAddress(other), heard::complete);
    try {
      Await.until(
          "the other node's consumer registered",
          Duration.ofSeconds(10),
          () -> otherNode.completion().isComplete());
      table.liveNodes(Set.of(node, other));
      table.announce("together/filter");
      Await.until("the other node heard of the route", Duration.ofSeconds(10), heard::isDone);
      assertFalse(table.announcedEverywhere().isComplete());
      heard.join().reply(null);
      Await.until(
          "the announcement confirmed",
          Duration.ofSeconds(10),
          () -> table.announcedEverywhere().isComplete());
    } finally {
      otherNode.unregister();
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
