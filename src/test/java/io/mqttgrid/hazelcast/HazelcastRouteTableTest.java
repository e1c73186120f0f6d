package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.map.IMap;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.LocalNode;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The route table on a one-member cluster, as a node alone sees it. */
class HazelcastRouteTableTest {

  private static final long WITHDRAWN_MEMORY_MS = 2_000;

  @RegisterExtension static final LocalNode node = new LocalNode("route-test");

  /** This node's table, waiting {@code newsTimeoutMillis} for the others to hear of a route. */
  private static HazelcastRouteTable table(long newsTimeoutMillis) {
    return new HazelcastRouteTable(
        node.vertx(), node.hazelcast(), node.id(), newsTimeoutMillis, WITHDRAWN_MEMORY_MS);
  }

  /** {@link #table(long)}, writing {@code aloneWriteDelayMillis} after a change while alone. */
  private static HazelcastRouteTable table(long newsTimeoutMillis, long aloneWriteDelayMillis) {
    return new HazelcastRouteTable(
        node.vertx(),
        node.hazelcast(),
        node.id(),
        newsTimeoutMillis,
        WITHDRAWN_MEMORY_MS,
        aloneWriteDelayMillis);
  }

  /** The route table's map, shared by the cluster. */
  private static IMap<String, String> routes() {
    return node.hazelcast().getMap(HazelcastRouteTable.MAP);
  }

  /** The key of this node's route for {@code filter}. */
  private static String key(String filter) {
    return HazelcastRouteTable.key(node.id(), filter);
  }

  @Test
  void aNodeAloneDoesNotWaitForTheTableWriteBeforeItsSuback() throws Exception {
    HazelcastRouteTable table = table(1_000);
    String filter = "alone/filter";
    // the table write cannot land while another thread holds the entry's lock
    ExecutorService locker = Executors.newSingleThreadExecutor();
    IMap<String, String> routes = routes();
    String key = key(filter);
    locker.submit(() -> routes.lock(key)).get(10, TimeUnit.SECONDS);
    try {
      table.liveNodes(Set.of(node.id()));
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
    HazelcastRouteTable table = table(5_000);
    // the other node hears of the route, and answers only when the test lets it
    CompletableFuture<Message<Object>> heard = new CompletableFuture<>();
    try (OtherNode other = new OtherNode(node.vertx(), heard::complete)) {
      table.liveNodes(Set.of(node.id(), other.id));
      table.announce("together/filter");
      Await.until("the other node heard of the route", Duration.ofSeconds(10), heard::isDone);
      assertFalse(table.announcedEverywhere().isComplete());
      heard.join().reply(null);
      Await.until(
          "the announcement confirmed",
          Duration.ofSeconds(10),
          () -> table.announcedEverywhere().isComplete());
    } finally {
      table.close();
    }
  }

  @Test
  void withdrawnFiltersAreForgottenOnANodeThatNobodyDeliversTo() throws InterruptedException {
    HazelcastRouteTable table = table(1_000);
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

  @Test
  void theRoutesAnnouncedInOneTurnGoOutAsOneWriteAndOneMessagePerNode() {
    // an adopting node starts hundreds of sessions in one turn of its event loop
    HazelcastRouteTable table = table(5_000);
    List<Message<Object>> news = new CopyOnWriteArrayList<>();
    IMap<String, String> routes = routes();
    try (OtherNode other = new OtherNode(node.vertx(), news::add)) {
      table.liveNodes(Set.of(node.id(), other.id));
      node.vertx()
          .runOnContext(
              v -> {
                for (int i = 0; i < 100; i++) {
                  table.announce("adopted/d" + i + "/cmd");
                }
              });
      Await.until(
          "the other node heard of the routes", Duration.ofSeconds(10), () -> !news.isEmpty());
      assertEquals(1, news.size());
      assertEquals(100, ((JsonArray) news.get(0).body()).size());
      assertEquals("adopted/d7/cmd", routes.get(key("adopted/d7/cmd")));
      assertFalse(table.announcedEverywhere().isComplete());
      news.get(0).reply(null);
      Await.until(
          "the announcements confirmed",
          Duration.ofSeconds(10),
          () -> table.announcedEverywhere().isComplete());
    } finally {
      table.close();
    }
  }

  @Test
  void aListOfNewRoutesFromAnotherNodeIsMirroredOnlyForRoutesStillInTheTable() {
    HazelcastRouteTable table = table(5_000);
    String other = "other-" + UUID.randomUUID();
    IMap<String, String> routes = routes();
    String kept = HazelcastRouteTable.key(other, "news/kept");
    String gone = HazelcastRouteTable.key(other, "news/gone");
    try {
      table.liveNodes(Set.of(node.id(), other));
      routes.set(kept, "news/kept");
      // "gone" was withdrawn before the news arrived: it is not in the table any more
      node.vertx()
          .eventBus()
          .request(HazelcastRouteTable.newsAddress(node.id()), new JsonArray(List.of(kept, gone)))
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertTrue(table.remoteNodesFor("news/kept").contains(other));
      assertTrue(table.remoteNodesFor("news/gone").isEmpty());
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      routes.delete(kept);
      table.close();
    }
  }

  @Test
  void aRouteRemovedWhileItsNewsWereReadIsNotMirroredAgain() {
    // an adopted copy's route, announced and then withdrawn by a takeover while the other node was
    // still reading the news of it: that node must not keep sending to the adopter
    HazelcastRouteTable table = table(5_000);
    String other = "other-" + UUID.randomUUID();
    IMap<String, String> routes = routes();
    String key = HazelcastRouteTable.key(other, "adopted/d1/cmd");
    try {
      table.liveNodes(Set.of(node.id(), other));
      routes.set(key, "adopted/d1/cmd");
      Await.until(
          "the entry listener's event",
          Duration.ofSeconds(10),
          () -> table.remoteNodesFor("adopted/d1/cmd").contains(other));
      long readBegan = table.removalCount();
      routes.delete(key);
      Await.until(
          "the removal event",
          Duration.ofSeconds(10),
          () -> table.remoteNodesFor("adopted/d1/cmd").isEmpty());

      table.mirrorRead(Set.of(key), readBegan); // what the read found before the removal

      assertTrue(table.remoteNodesFor("adopted/d1/cmd").isEmpty());
      table.mirrorRead(Set.of(key), table.removalCount()); // a read that began after it
      assertTrue(table.remoteNodesFor("adopted/d1/cmd").contains(other));
    } finally {
      table.close();
    }
  }

  @Test
  void aNodeAloneHoldsItsRouteChangesAndWritesThemOnceAnotherNodeJoins() throws Exception {
    // a write delay no test outlasts: only the other node's arrival sends the routes out
    HazelcastRouteTable table = table(5_000, 600_000);
    IMap<String, String> routes = routes();
    String key = key("alone/held");
    try (OtherNode other = new OtherNode(node.vertx(), m -> m.reply(null))) {
      table.liveNodes(Set.of(node.id()));
      table.announce("alone/held");
      assertTrue(table.announcedEverywhere().isComplete());
      assertTrue(table.routedHere("alone/held"));
      // long past the end of the turn that announced it (where a node with others writes)
      Thread.sleep(500);
      assertFalse(routes.containsKey(key));

      table.liveNodes(Set.of(node.id(), other.id));
      Await.until(
          "the held route written once another node is there",
          Duration.ofSeconds(10),
          () -> routes.containsKey(key));
    } finally {
      routes.delete(key);
      table.close();
    }
  }

  @Test
  void aNodeAloneWritesItsRouteChangesAfterTheDelay() {
    HazelcastRouteTable table = table(5_000, 50);
    IMap<String, String> routes = routes();
    String kept = key("alone/kept");
    String gone = key("alone/gone");
    try {
      table.liveNodes(Set.of(node.id()));
      table.announce("alone/gone");
      Await.until("the route written", Duration.ofSeconds(10), () -> routes.containsKey(gone));
      table.withdraw("alone/gone");
      table.announce("alone/kept");
      Await.until(
          "the changes written",
          Duration.ofSeconds(10),
          () -> routes.containsKey(kept) && !routes.containsKey(gone));
    } finally {
      routes.delete(kept);
      table.close();
    }
  }

  @Test
  void theRoutesWithdrawnInOneTurnGoOutWithItsAnnouncementsAndWhatHoldsAtItsEndIsWritten() {
    HazelcastRouteTable table = table(5_000);
    List<Message<Object>> news = new CopyOnWriteArrayList<>();
    IMap<String, String> routes = routes();
    try (OtherNode other =
        new OtherNode(
            node.vertx(),
            m -> {
              news.add(m);
              m.reply(null);
            })) {
      table.liveNodes(Set.of(node.id(), other.id));
      node.vertx()
          .runOnContext(
              v -> {
                for (int i = 0; i < 100; i++) {
                  table.announce("turn/d" + i + "/cmd");
                }
              });
      Await.until(
          "the first turn's routes heard of", Duration.ofSeconds(10), () -> !news.isEmpty());
      Await.until(
          "the first turn's routes confirmed",
          Duration.ofSeconds(10),
          () -> table.announcedEverywhere().isComplete());
      assertEquals("turn/d42/cmd", routes.get(key("turn/d42/cmd")));

      CompletableFuture<Void> secondTurn = new CompletableFuture<>();
      node.vertx()
          .runOnContext(
              v -> {
                for (int i = 0; i < 100; i++) {
                  table.withdraw("turn/d" + i + "/cmd");
                }
                // withdrawn and announced again in the same turn: the route stays
                table.announce("turn/d7/cmd");
                table.announce("turn/new/cmd");
                // announced and withdrawn again: never a route
                table.announce("turn/brief/cmd");
                table.withdraw("turn/brief/cmd");
                table.announcedEverywhere().onComplete(x -> secondTurn.complete(null));
              });
      secondTurn.join();

      assertEquals(2, news.size());
      assertEquals("turn/new/cmd", routes.get(key("turn/new/cmd")));
      assertEquals("turn/d7/cmd", routes.get(key("turn/d7/cmd")));
      assertFalse(routes.containsKey(key("turn/d8/cmd")));
      assertFalse(routes.containsKey(key("turn/d99/cmd")));
      assertFalse(routes.containsKey(key("turn/brief/cmd")));
      assertTrue(table.routedHere("turn/d7/cmd"));
    } finally {
      routes.delete(key("turn/d7/cmd"));
      routes.delete(key("turn/new/cmd"));
      table.close();
    }
  }

  @Test
  void aRouteLeftInTheTableUnderThisNodesIdIsNotMirrored() {
    // a predecessor's, restarted under the same node id: this node has no subscriber for it
    IMap<String, String> routes = routes();
    String key = key("predecessor/filter");
    routes.set(key, "predecessor/filter");
    HazelcastRouteTable table = table(1_000);
    try {
      assertFalse(table.routedHere("predecessor/filter"));
    } finally {
      routes.delete(key);
      table.close();
    }
  }

  @Test
  void aClearedTableGetsThisNodesRoutesAgain() {
    HazelcastRouteTable table = table(1_000, 10);
    IMap<String, String> routes = routes();
    String key = key("cleared/filter");
    try {
      table.liveNodes(Set.of(node.id()));
      table.announce("cleared/filter");
      Await.until("the route written", Duration.ofSeconds(10), () -> routes.containsKey(key));
      routes.clear();
      Await.until("the route written again", Duration.ofSeconds(10), () -> routes.containsKey(key));
      assertTrue(table.routedHere("cleared/filter"));
    } finally {
      routes.delete(key);
      table.close();
    }
  }
}
