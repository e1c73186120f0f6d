package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.QueuedMessage.State;
import io.mqttgrid.session.SessionQueue.AppendResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The durable queue of a persistent session: duplicates dropped by message id, bounds on the
 * not-yet-sent part only, appends of a connection that lost the session refused (its stored form:
 * hazelcast.BrokerSerializationTest).
 */
class SessionQueueTest {

  static final int MANY = 1_000;
  static final long LOTS = 1L << 40;

  static QueuedMessage queued(String id, int payloadBytes) {
    return new QueuedMessage(message(id, payloadBytes), new int[] {3}, null, State.QUEUED, 0);
  }

  static PublishedMessage message(String id, int payloadBytes) {
    return new PublishedMessage(
        id, "t", new byte[payloadBytes], 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  static List<String> ids(SessionQueue q) {
    return q.snapshot().stream().map(m -> m.message().id()).toList();
  }

  @Test
  void appendsInOrderWithIncreasingSequence() {
    SessionQueue q = new SessionQueue();
    assertThat(q.append(queued("a", 1), MANY, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(q.append(queued("b", 1), MANY, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    List<QueuedMessage> s = q.snapshot();
    assertThat(s).extracting(m -> m.message().id()).containsExactly("a", "b");
    assertThat(s.get(0).seq()).isEqualTo(1);
    assertThat(s.get(1).seq()).isEqualTo(2);
  }

  @Test
  void aMessageIdIsQueuedOnce() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), MANY, LOTS, "c1");
    assertThat(q.append(queued("a", 1), MANY, LOTS, "c1")).isEqualTo(AppendResult.DUPLICATE);
    assertThat(ids(q)).containsExactly("a");
  }

  @Test
  void aRemovedIdMayComeAgain() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), MANY, LOTS, "c1");
    q.remove(q.snapshot().get(0).seq());
    assertThat(ids(q)).isEmpty();
    assertThat(q.append(queued("a", 1), MANY, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
  }

  @Test
  void countBoundCoversQueuedMessagesOnly() {
    SessionQueue q = new SessionQueue();
    assertThat(q.append(queued("a", 1), 2, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(q.append(queued("b", 1), 2, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(q.append(queued("c", 1), 2, LOTS, "c1")).isEqualTo(AppendResult.OVERFLOW);
    assertThat(ids(q)).containsExactly("a", "b");

    // a message sent to the client no longer counts against the bound
    q.markSent(q.snapshot().get(0).seq(), 11);
    assertThat(q.append(queued("c", 1), 2, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(q.append(queued("d", 1), 2, LOTS, "c1")).isEqualTo(AppendResult.OVERFLOW);

    // nor does one already in flight when it arrives (a session moving with its in-flight window)
    assertThat(
            q.append(
                new QueuedMessage(message("e", 1), new int[0], null, State.SENT, 12),
                2,
                LOTS,
                "c1"))
        .isEqualTo(AppendResult.APPENDED);
  }

  @Test
  void byteBoundUsesTheMessageWeight() {
    SessionQueue q = new SessionQueue();
    long bound = message("a", 100).weight() + message("b", 100).weight();
    assertThat(q.append(queued("a", 100), MANY, bound, "c1")).isEqualTo(AppendResult.APPENDED);
    assertThat(q.append(queued("b", 101), MANY, bound, "c1")).isEqualTo(AppendResult.OVERFLOW);
    assertThat(q.append(queued("b", 100), MANY, bound, "c1")).isEqualTo(AppendResult.APPENDED);
    // removing a queued message gives its bytes back
    q.remove(q.snapshot().get(0).seq());
    assertThat(q.append(queued("c", 100), MANY, bound, "c1")).isEqualTo(AppendResult.APPENDED);
  }

  @Test
  void releasingAQueuedMessageGivesItsRoomBack() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), 1, LOTS, "c1");
    assertThat(q.append(queued("b", 1), 1, LOTS, "c1")).isEqualTo(AppendResult.OVERFLOW);
    q.markReleased(q.snapshot().get(0).seq());
    assertThat(q.snapshot().get(0).state()).isEqualTo(State.RELEASED);
    assertThat(q.append(queued("b", 1), 1, LOTS, "c1")).isEqualTo(AppendResult.APPENDED);
  }

  @Test
  void markSentRecordsPacketIdOnceAndOnlyForQueued() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), MANY, LOTS, "c1");
    long seq = q.snapshot().get(0).seq();
    q.markSent(seq, 5);
    q.markSent(seq, 6);
    QueuedMessage m = q.snapshot().get(0);
    assertThat(m.state()).isEqualTo(State.SENT);
    assertThat(m.packetId()).isEqualTo(5);
    q.markSent(999, 7); // an unknown sequence is ignored
    assertThat(q.snapshot()).hasSize(1);
  }

  @Test
  void theFirstAppenderOwnsTheQueueUntilAnotherConnectionClaimsIt() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), MANY, LOTS, "c1");
    assertThat(q.append(queued("b", 1), MANY, LOTS, "c2")).isEqualTo(AppendResult.FOREIGN);
    q.claim("c2");
    assertThat(q.append(queued("b", 1), MANY, LOTS, "c1")).isEqualTo(AppendResult.FOREIGN);
    assertThat(q.append(queued("b", 1), MANY, LOTS, "c2")).isEqualTo(AppendResult.APPENDED);
    assertThat(ids(q)).containsExactly("a", "b");
  }

  @Test
  void snapshotIsACopy() {
    SessionQueue q = new SessionQueue();
    q.append(queued("a", 1), MANY, LOTS, "c1");
    QueuedMessage copy = q.snapshot().get(0);
    copy.state(State.RELEASED);
    copy.packetId(99);
    assertThat(q.snapshot().get(0).state()).isEqualTo(State.QUEUED);
    assertThat(q.snapshot().get(0).packetId()).isZero();
  }
}
