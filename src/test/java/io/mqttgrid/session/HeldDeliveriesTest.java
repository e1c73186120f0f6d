package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldDeliveriesTest {

  private final List<String> ran = new ArrayList<>();
  private final HeldDeliveries held = new HeldDeliveries();

  @Test
  void handedOverDeliveriesGoOnceTheQueueIsClaimedOwnOnesOnlyAfterThePredecessorSettled() {
    held.holdStores();
    held.awaitPredecessor();
    assertThat(held.holds(true)).as("no queue yet: a hand-over waits").isTrue();
    held.hold(false, () -> ran.add("own-1"));
    held.hold(true, () -> ran.add("handed-1"));
    held.hold(false, () -> ran.add("own-2"));

    assertThat(held.release()).as("the queue is not claimed yet").isFalse();
    assertThat(ran).isEmpty();

    held.queueClaimed();
    assertThat(held.holds(true)).isFalse();
    assertThat(held.holds(false)).as("the predecessor is still handing over").isTrue();
    assertThat(held.release()).as("own deliveries still wait").isFalse();
    assertThat(ran).containsExactly("handed-1");
    assertThat(held.inOrder().isComplete()).isFalse();

    assertThat(held.predecessorSettled()).isTrue();
    assertThat(held.predecessorSettled()).as("only once").isFalse();
    assertThat(held.release()).isTrue();
    assertThat(ran).containsExactly("handed-1", "own-1", "own-2");
    assertThat(held.inOrder().succeeded()).isTrue();
  }

  @Test
  void aDeliveryHandedOverByThePredecessorIsKeptOnceUntilNothingIsHeld() {
    held.awaitPredecessor();
    Future<Void> outcome = Future.succeededFuture();
    held.handedOver("m1", outcome);
    assertThat(held.handedOverTwin("m1")).isSameAs(outcome);
    assertThat(held.handedOverTwin("m2")).isNull();

    held.predecessorSettled();
    assertThat(held.release()).isTrue();
    assertThat(held.handedOverTwin("m1")).as("forgotten once everything went its way").isNull();
  }

  @Test
  void withoutAPredecessorOnlyTheClaimIsWaitedFor() {
    held.holdStores();
    held.hold(false, () -> ran.add("own"));
    held.handedOver("m1", Future.succeededFuture());
    assertThat(held.handedOverTwin("m1")).as("no predecessor: nothing to keep once").isNull();
    held.queueClaimed();
    assertThat(held.holds(false)).isFalse();
    assertThat(held.release()).isTrue();
    assertThat(ran).containsExactly("own");
  }
}
