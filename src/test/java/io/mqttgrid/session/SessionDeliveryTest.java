package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deliveries to one clean session from several threads, taken in by batches on its context: the
 * order per publisher, a batch larger than the client's window, acknowledgements held back while
 * the session is behind, and a session that ends in the middle of a batch.
 */
class SessionDeliveryTest {

  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final List<String> dropped = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close();
  }

  private Session online(SessionLimits limits, RecordingClientChannel client) throws Exception {
    Session s =
        new Session(
            "sub",
            false,
            "conn-1",
            context,
            vertx,
            new InMemorySessionStore(vertx),
            new MessageRouter(),
            limits,
            new OutboundBudget.Totals(),
            new SessionEvents() {
              @Override
              public void dropped(String clientId, String reason) {
                dropped.add(reason);
              }

              @Override
              public void overflowed(Session session) {}
            });
    s.onContext(() -> s.attach(client, List.of()));
    taken(s);
    return s;
  }

  /**
   * Waits until the session took in everything handed to it so far, and its batch ended (its held
   * flushes released): a task of the context queued from inside the batch runs after it.
   */
  private void taken(Session s) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    s.onContext(() -> context.runOnContext(v -> done.complete(null)));
    done.get(10, TimeUnit.SECONDS);
  }

  private static PublishedMessage message(String id) {
    return new PublishedMessage(
        id, "t", new byte[] {1}, 1, false, "pub", 1L, 0L, -1, null, null, null, null);
  }

  private static SessionLimits limits(int maxPending, int holdAcksAbove) {
    return limits(maxPending, holdAcksAbove, 60_000);
  }

  private static SessionLimits limits(int maxPending, int holdAcksAbove, long holdMillis) {
    return new SessionLimitsBuilder()
        .maxQueued(100)
        .maxPending(maxPending)
        .holdAcks(holdAcksAbove, holdMillis)
        .build();
  }

  /** m10 to m12 of twelve found the waiting stage full: their publishers hear so, each dropped. */
  private void assertLastThreeRefusedAsFull(List<Future<Void>> answers) {
    for (int i = 9; i < 12; i++) {
      assertThat(answers.get(i).failed()).as("m%d refused", i + 1).isTrue();
      assertThat(answers.get(i).cause()).isInstanceOf(QueueFullException.class);
    }
    assertThat(dropped).containsExactly("queue-full", "queue-full", "queue-full");
  }

  @Test
  void fourPublishersToOneSubscriberWithASmallWindowLoseNothingAndKeepTheirOrder()
      throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(5);
    Session s = online(limits(100_000, 0), client);
    // the client's PUBACK, read by the event loop after what it is doing now
    client.acknowledging(packetId -> context.runOnContext(v -> s.acknowledged(packetId)));
    int each = 2_000; // far more than one batch, and than the window
    List<Thread> publishers = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      String name = "p" + p;
      publishers.add(
          new Thread(
              () -> {
                for (int i = 0; i < each; i++) {
                  s.deliver(message(name + "-" + i), 1, false, new int[0], null);
                }
              }));
    }
    publishers.forEach(Thread::start);
    for (Thread t : publishers) {
      t.join();
    }
    for (int i = 0; i < 500 && client.received.size() < 4 * each; i++) {
      taken(s);
      Thread.sleep(20);
    }

    assertThat(client.received).hasSize(4 * each).doesNotHaveDuplicates();
    for (int p = 0; p < 4; p++) {
      String prefix = "p" + p + "-";
      List<String> mine = client.received.stream().filter(id -> id.startsWith(prefix)).toList();
      for (int i = 0; i < each; i++) {
        assertThat(mine.get(i)).isEqualTo(prefix + i);
      }
    }
    assertThat(dropped).isEmpty();
  }

  @Test
  void aSessionBehindAnswersItsPublishersWhenTheMessageIsSentAndRefusesAtTheBound()
      throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(1);
    Session s = online(limits(8, 4), client);
    List<Future<Void>> answers = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      answers.add(answerOf(s, "m" + i));
      taken(s);
    }

    // m1 sent; m2-m5 wait, and with m5 four wait: the session is behind from then on
    for (int i = 0; i < 5; i++) {
      assertThat(answers.get(i).succeeded()).as("m%d answered at once", i + 1).isTrue();
    }
    for (int i = 5; i < 9; i++) {
      assertThat(answers.get(i).isComplete()).as("m%d waits to be sent", i + 1).isFalse();
    }
    assertLastThreeRefusedAsFull(answers); // 8 wait already

    for (int id = 1; id <= 5; id++) {
      int packetId = id;
      s.onContext(() -> s.acknowledged(packetId));
    }
    taken(s);
    assertThat(client.received).containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
    assertThat(answers.get(5).succeeded()).as("m6 sent").isTrue();
    assertThat(answers.get(6).isComplete()).as("m7 still waits").isFalse();

    s.onContext(s::retire);
    taken(s);
    for (int i = 6; i < 9; i++) {
      assertThat(answers.get(i).succeeded())
          .as("m%d: the session ended, its publisher is not left waiting", i + 1)
          .isTrue();
    }
  }

  @Test
  void deliveriesArrivingWhileTheContextIsBusyCountTowardsHoldingAndNoneAnsweredIsDropped()
      throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(1);
    Session s = online(limits(8, 4), client);
    // the session's event loop busy elsewhere while twelve deliveries arrive from a publisher's
    CountDownLatch busy = busyContext();
    List<Future<Void>> answers = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      answers.add(answerOf(s, "m" + i));
    }
    for (int i = 0; i < 4; i++) {
      assertThat(answers.get(i).succeeded()).as("m%d answered at once", i + 1).isTrue();
    }
    for (int i = 4; i < 12; i++) {
      assertThat(answers.get(i).isComplete())
          .as("m%d: four arrived ahead of it, not taken in yet", i + 1)
          .isFalse();
    }
    busy.countDown();
    taken(s);

    // m1 sent; m2-m9 wait (eight, the bound); m10-m12 do not fit, and their publishers hear so
    assertThat(client.received).containsExactly("m1");
    for (int i = 4; i < 9; i++) {
      assertThat(answers.get(i).isComplete()).as("m%d waits to be sent", i + 1).isFalse();
    }
    assertLastThreeRefusedAsFull(answers);

    for (int id = 1; id <= 9; id++) {
      int packetId = id;
      s.onContext(() -> s.acknowledged(packetId));
      taken(s);
    }
    assertThat(client.received)
        .containsExactly("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
    for (int i = 4; i < 9; i++) {
      assertThat(answers.get(i).succeeded()).as("m%d sent", i + 1).isTrue();
    }
  }

  @Test
  void aSessionEndingInTheMiddleOfABatchLeavesNoPublisherWaiting() throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(1);
    Session s = online(limits(100, 1), client);
    answerOf(s, "m1"); // sent
    answerOf(s, "m2"); // waits: behind from here
    taken(s);

    // one batch: three deliveries, the end of the session, two more
    CountDownLatch busy = busyContext();
    List<Future<Void>> answers = new ArrayList<>();
    answers.add(answerOf(s, "m3"));
    answers.add(answerOf(s, "m4"));
    answers.add(answerOf(s, "m5"));
    s.onContext(s::retire);
    answers.add(answerOf(s, "m6"));
    answers.add(answerOf(s, "m7"));
    busy.countDown();
    taken(s);

    assertThat(answers).allSatisfy(a -> assertThat(a.succeeded()).isTrue());
    assertThat(client.received).as("nothing is sent after the end").containsExactly("m1");
    assertThat(s.state()).isEqualTo(Session.State.CLOSED);
  }

  @Test
  void aSubscriberThatStopsReadingHoldsItsPublishersBackNoLongerThanTheBound() throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(1);
    Session s = online(limits(100, 1, 300), client);
    answerOf(s, "m1"); // sent, never acknowledged
    answerOf(s, "m2"); // waits: behind from here
    taken(s);
    long start = System.nanoTime();
    Future<Void> held = answerOf(s, "m3");
    taken(s);
    assertThat(held.isComplete()).isFalse();

    CompletableFuture<Void> answered = new CompletableFuture<>();
    held.onComplete(ar -> answered.complete(null));
    answered.get(10, TimeUnit.SECONDS);
    assertThat(held.succeeded()).isTrue();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .as("held for session.hold-acks-max-millis")
        .isGreaterThanOrEqualTo(290);
    assertThat(client.received).as("the message itself still waits").containsExactly("m1");
  }

  @Test
  void theWritesOfOneBatchLeaveWithOneFlush() throws Exception {
    RecordingClientChannel client = new RecordingClientChannel(100);
    Session s = online(limits(1_000, 0), client);
    CountDownLatch busy = busyContext();
    for (int i = 1; i <= 10; i++) {
      answerOf(s, "m" + i);
    }
    busy.countDown();
    taken(s);

    assertThat(client.received).hasSize(10);
    assertThat(client.flushes).as("one flush for the batch's ten writes").containsExactly(10);
    assertThat(client.holding).isZero();
  }

  /**
   * Keeps the session's event loop busy (with a task of its own) until the latch returned is
   * counted down, at most 10 s: what is handed to the session meanwhile waits to be taken in.
   */
  private CountDownLatch busyContext() {
    CountDownLatch busy = new CountDownLatch(1);
    context.runOnContext(
        v -> {
          try {
            busy.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    return busy;
  }

  private static Future<Void> answerOf(Session s, String id) {
    return s.deliver(message(id), 1, false, new int[0], null);
  }
}
