package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OutboundBudgetTest {

  /**
   * 3 messages or 1,000 bytes waiting; 500 bytes in flight; 2 packets or 800 bytes in the socket.
   */
  private static final SessionLimits LIMITS =
      new SessionLimitsBuilder()
          .maxQueued(100, 1 << 20)
          .maxPending(3, 1_000)
          .maxOutboundBuffered(2, 800)
          .maxInflightBytes(500)
          .build();

  private final OutboundBudget.Totals totals = new OutboundBudget.Totals();
  private final OutboundBudget budget = new OutboundBudget(LIMITS, totals);

  @Test
  void waitingIsBoundedInBytesAndInMessages() {
    assertThat(budget.canWait(1_000)).isTrue();
    assertThat(budget.canWait(1_001)).as("one message larger than the bound").isFalse();
    budget.waiting(600);
    assertThat(budget.canWait(400)).isTrue();
    assertThat(budget.canWait(401)).isFalse();
    budget.waiting(100);
    budget.waiting(100);
    assertThat(budget.canWait(1)).as("3 messages").isFalse();
    budget.doneWaiting(600);
    assertThat(budget.canWait(800)).isTrue();
    assertThat(budget.waitingBytes()).isEqualTo(200);
    assertThat(budget.waitingMessages()).isEqualTo(2);
  }

  @Test
  void behindFromTheHighWaterMarkUntilDrainedToHalfOfIt() {
    // 10 messages or 10,000 bytes waiting; behind from 4 (or 4,000 bytes), no longer below 2
    OutboundBudget b = new OutboundBudget(limitsHoldingAcksAbove(4), totals);
    b.waiting(10);
    b.waiting(10);
    b.waiting(10);
    assertThat(b.behind(0)).isFalse();
    b.waiting(10);
    assertThat(b.behind(0)).as("4 waiting").isTrue();
    b.doneWaiting(10);
    b.doneWaiting(10);
    assertThat(b.behind(0)).as("2 waiting: not drained below half yet").isTrue();
    b.doneWaiting(10);
    assertThat(b.behind(0)).as("1 waiting").isFalse();
    b.waiting(4_000);
    assertThat(b.behind(0)).as("the same share of the bytes bound").isTrue();
    b.clear();
    assertThat(b.behind(0)).as("the connection ended").isFalse();

    OutboundBudget never = new OutboundBudget(limitsHoldingAcksAbove(0), totals);
    for (int i = 0; i < 10; i++) {
      never.waiting(1_000);
    }
    assertThat(never.behind(0)).as("0: never").isFalse();
    assertThat(never.behind(100)).as("0: never, whatever arrives").isFalse();
  }

  @Test
  void deliveriesNotYetTakenInCountTowardsTheHighWaterMark() {
    OutboundBudget b = new OutboundBudget(limitsHoldingAcksAbove(4), totals);
    assertThat(b.behind(3)).as("3 arriving").isFalse();
    assertThat(b.behind(4)).as("4 arriving").isTrue();
    b.waiting(10);
    b.waiting(10);
    assertThat(b.behind(1)).as("2 waiting, 1 arriving").isFalse();
    assertThat(b.behind(2)).as("2 waiting, 2 arriving").isTrue();
    assertThat(b.behind(0)).as("the arriving ones do not make it behind once taken in").isFalse();

    assertThat(b.arriving()).as("2 waiting, none ahead").isFalse();
    assertThat(b.arriving()).as("2 waiting, 1 ahead").isFalse();
    assertThat(b.arriving()).as("2 waiting, 2 ahead").isTrue();
    b.takenIn();
    b.takenIn();
    b.takenIn();
    assertThat(b.arriving()).as("all taken in again: none ahead").isFalse();
  }

  @Test
  void theWindowIsBoundedInBytesButAnEmptyOneTakesAnyMessage() {
    assertThat(budget.windowHasRoom(0, 10, 5_000))
        .as("an empty window takes a message above the bound")
        .isTrue();
    budget.inflight(300);
    assertThat(budget.windowHasRoom(1, 10, 200)).isTrue();
    assertThat(budget.windowHasRoom(1, 10, 201)).isFalse();
    assertThat(budget.windowHasRoom(1, 1, 1)).as("the window's count (Receive Maximum)").isFalse();
    budget.acknowledged(300);
    assertThat(budget.windowHasRoom(0, 10, 500)).isTrue();
    assertThat(budget.inflightBytes()).isZero();
  }

  @Test
  void theSocketIsBoundedInBytesAndPacketsButAnEmptyOneTakesAnyPacket() {
    OutboundBudget.Socket socket = budget.newSocket();
    assertThat(socket.hasRoom(10_000)).isTrue();
    socket.written(700);
    assertThat(socket.hasRoom(100)).isTrue();
    assertThat(socket.hasRoom(101)).isFalse();
    socket.written(50);
    assertThat(socket.hasRoom(1)).as("2 packets").isFalse();
    socket.flushed(700);
    assertThat(socket.hasRoom(750)).isTrue();
    assertThat(socket.bytes()).isEqualTo(50);
    assertThat(socket.messages()).isEqualTo(1);
    assertThat(budget.newSocket().hasRoom(800))
        .as("the next connection's socket starts empty")
        .isTrue();
  }

  @Test
  void theTotalsAddUpEveryStageAndClearingReturnsTheSessionsShare() {
    OutboundBudget other = new OutboundBudget(LIMITS, totals);
    budget.waiting(100);
    budget.inflight(200);
    other.waiting(10);
    OutboundBudget.Socket socket = budget.newSocket();
    socket.written(300);
    assertThat(totals.waiting.sum()).isEqualTo(110);
    assertThat(totals.inflight.sum()).isEqualTo(200);
    assertThat(totals.socket.sum()).isEqualTo(300);

    budget.clear();
    assertThat(totals.waiting.sum()).isEqualTo(10);
    assertThat(totals.inflight.sum()).isZero();
    assertThat(budget.canWait(1_000)).isTrue();
    // a write of the ended connection still completes (or fails) later: the socket's share goes
    // then
    assertThat(totals.socket.sum()).isEqualTo(300);
    socket.flushed(300);
    assertThat(totals.socket.sum()).isZero();
  }

  private static SessionLimits limitsHoldingAcksAbove(int waiting) {
    return new SessionLimitsBuilder()
        .maxQueued(100, 1 << 20)
        .maxPending(10, 10_000)
        .maxOutboundBuffered(2, 800)
        .maxInflightBytes(500)
        .holdAcks(waiting, 1_000)
        .build();
  }
}
