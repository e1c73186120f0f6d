package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.map.IMap;
import io.mqttgrid.hazelcast.HeldRouteWrites.TableOperation;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.LocalNode;
import io.vertx.core.Context;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batched writes of a node's route changes while a write is under way, on a one-member cluster
 * whose table writes can be held back ({@link HeldRouteWrites}).
 */
class RouteBatchWriterTest {

  @RegisterExtension static final LocalNode node = new LocalNode("route-writer-test");

  @Test
  void aWithdrawalWaitsForTheWriteOfItsRouteStillUnderWay() throws Exception {
    // an adopted copy's route is being written (a write retried while partitions migrate after a
    // node left takes seconds) when a takeover retires the copy: were the removal to land first,
    // the write would put the route back after it, for good, and other nodes would keep sending
    // to a node without a subscriber, which refuses (issue 15, the reconnect storm)
    try (WithdrawalDuringAWrite race = new WithdrawalDuringAWrite("retired/d1/cmd")) {
      race.writes.holdNextWrites();
      race.announce(race.filter);
      Await.until(
          "the route's write under way", Duration.ofSeconds(10), () -> race.writes.held() == 1);

      race.withdrawAndReleaseTheHeldWrite();

      race.awaitTheWithdrawnRouteGone();
    }
  }

  @Test
  void routesWrittenAgainDoNotBringBackOneWithdrawnMeanwhile() throws Exception {
    // the adopting survivor writes all its routes again once it has adopted a departed node's
    // sessions, while takeovers retire the adopted copies
    try (WithdrawalDuringAWrite race = new WithdrawalDuringAWrite("again/d1/cmd")) {
      race.announce(race.filter);
      Await.until(
          "the route written", Duration.ofSeconds(10), () -> race.routes.containsKey(race.key));
      race.writes.holdNextWrites();
      CompletionStage<Void> writtenAgain = race.writer.writeAgain(race.counts.filters());
      Await.until(
          "the write again under way", Duration.ofSeconds(10), () -> race.writes.held() == 1);

      race.withdrawAndReleaseTheHeldWrite();

      writtenAgain.toCompletableFuture().get(10, TimeUnit.SECONDS);
      race.awaitTheWithdrawnRouteGone();
    }
  }

  @Test
  void changesMadeWhileAWriteIsUnderWayWaitForItAndGoOutAsOneWrite() throws Exception {
    // one write at a time: a removal that started beside a write still under way (retried while
    // partitions migrate) could land before it, and the write would put the route back for good
    try (WithdrawalDuringAWrite race = new WithdrawalDuringAWrite("pending/a/cmd")) {
      String b = "pending/b/cmd";
      String c = "pending/c/cmd";
      try (OtherNode other = new OtherNode(node.vertx(), m -> m.reply(null))) {
        // with another node, every turn's changes are written at its end (no write-behind timer)
        race.liveNodes.add(other.id);
        race.writer.membersChanged();
        Context loop = node.vertx().getOrCreateContext();
        race.writes.holdNextWrites();
        inOwnTurn(loop, () -> race.announce(race.filter));
        assertEquals(1, race.writes.held());
        race.writes.passNextWrites();

        // three turns, each of which would write at its end
        inOwnTurn(loop, () -> race.withdraw(race.filter));
        inOwnTurn(loop, () -> race.announce(b));
        inOwnTurn(loop, () -> race.announce(c));

        assertEquals(
            List.of(new TableOperation("setAsync", Set.of(race.key))),
            race.writes.operations(),
            "no table operation starts while a write is under way");
        race.writes.releaseHeld();
        Await.until(
            "the changes made meanwhile written",
            Duration.ofSeconds(10),
            () -> race.writes.operations().size() >= 3 && race.writes.allDone());
        assertEquals(
            Set.of(
                new TableOperation("deleteAsync", Set.of(race.key)),
                new TableOperation(
                    "setAllAsync",
                    Set.of(
                        HazelcastRouteTable.key(node.id(), b),
                        HazelcastRouteTable.key(node.id(), c)))),
            Set.copyOf(race.writes.operations().subList(1, race.writes.operations().size())),
            "what changed meanwhile goes out as one write, after the one under way");
        assertEquals(3, race.writes.operations().size());
        assertFalse(race.routes.containsKey(race.key));
        assertTrue(race.routes.containsKey(HazelcastRouteTable.key(node.id(), b)));
        assertTrue(race.routes.containsKey(HazelcastRouteTable.key(node.id(), c)));
      } finally {
        race.routes.delete(HazelcastRouteTable.key(node.id(), b));
        race.routes.delete(HazelcastRouteTable.key(node.id(), c));
      }
    }
  }

  /**
   * Runs {@code change} in a turn of {@code loop} and returns once the writes due at the end of
   * that turn have begun (or found a write under way): they are the next task of the loop.
   */
  private static void inOwnTurn(Context loop, Runnable change) throws Exception {
    CompletableFuture<Void> turnEnded = new CompletableFuture<>();
    loop.runOnContext(
        v -> {
          change.run();
          loop.runOnContext(w -> turnEnded.complete(null));
        });
    turnEnded.get(10, TimeUnit.SECONDS);
  }

  /**
   * A route of this node alone withdrawn while a write of it is held back: a writer on {@link
   * HeldRouteWrites} (alone, it writes 1 ms after a change), the route's filter and its key in the
   * map. Closing releases what is still held, deletes the route and closes the writer.
   */
  private static final class WithdrawalDuringAWrite implements AutoCloseable {
    final HeldRouteWrites writes =
        new HeldRouteWrites(node.hazelcast().getMap(HazelcastRouteTable.MAP));
    final LocalRouteCounts counts = new LocalRouteCounts();
    final Set<String> liveNodes = ConcurrentHashMap.newKeySet();
    final RouteBatchWriter writer =
        new RouteBatchWriter(node.vertx(), writes.map(), node.id(), counts, liveNodes, 1_000, 1);
    final IMap<String, String> routes = node.hazelcast().getMap(HazelcastRouteTable.MAP);
    final String filter;
    final String key;

    WithdrawalDuringAWrite(String filter) {
      this.filter = filter;
      this.key = HazelcastRouteTable.key(node.id(), filter);
      liveNodes.add(node.id());
    }

    /** What the route table does with the writer when a subscriber comes. */
    void announce(String filter) {
      if (counts.add(filter)) {
        writer.changed(filter, true);
      }
    }

    /** What the route table does with the writer when a subscriber goes. */
    void withdraw(String filter) {
      if (counts.remove(filter)) {
        writer.changed(filter, false);
      }
    }

    /**
     * With a write of the route held: withdraws the route, waits until its removal is done or waits
     * for that write, then lets the write go on.
     */
    void withdrawAndReleaseTheHeldWrite() {
      writes.passNextWrites();
      withdraw(filter);
      Await.until(
          "the removal done, or waiting for the write under way",
          Duration.ofSeconds(10),
          () -> writes.removalsDone() > 0 || writer.writeWaiting());
      writes.releaseHeld();
    }

    /** The held write landed, and the withdrawn route is not in the table. */
    void awaitTheWithdrawnRouteGone() {
      Await.until("the held write landed", Duration.ofSeconds(10), writes::heldDone);
      Await.until(
          "the withdrawn route gone from the table",
          Duration.ofSeconds(10),
          () -> !routes.containsKey(key));
    }

    @Override
    public void close() {
      writes.releaseHeld();
      routes.delete(key);
      writer.close();
    }
  }
}
