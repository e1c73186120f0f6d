package io.mqttgrid.session;

import static io.mqttgrid.session.SessionTests.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.SessionManager.Attached;
import io.mqttgrid.session.SessionManager.ConnectRequest;
import io.mqttgrid.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A message a persistent session's client acknowledges while its append still waits for the batch
 * being written is never written: its publisher hears at once, and the store sees neither its
 * append nor its removal. What was already on its way to the store is removed as before.
 */
class AcknowledgedBeforeWrittenTest {

  private static final String NODE = "n-here";
  private static final String DEAD = "n-dead";
  private static final String CLIENT = "sub";

  private final Vertx vertx = Vertx.vertx();
  private final InMemorySessionStore store = new InMemorySessionStore(vertx);
  private final MessageRouter router = new MessageRouter();
  private final SessionManager manager =
      new SessionManager(
          vertx, NODE, store, router, new SessionLimitsBuilder().build(), SessionTests.NO_EVENTS);

  /** While true, the client's acknowledgements wait in {@link #heldAcks}. */
  private final AtomicBoolean holdAcks = new AtomicBoolean();

  private final List<Runnable> heldAcks = new CopyOnWriteArrayList<>();

  private Session session;

  /** One publisher: its messages are routed from one event loop, in order. */
  private final Context publisher = vertx.getOrCreateContext();

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private static PublishedMessage message(int n, int qos) {
    return new PublishedMessage(
        "m" + n, "t/1", new byte[] {1}, qos, false, null, 1L, 0L, -1, null, null, null, null);
  }

  /** The client's persistent session, connected, subscribed to t/# at {@code qos}. */
  private RecordingClientChannel connectedSession(int qos, boolean acknowledges) {
    await(
        store.save(
            new SessionRecord(CLIENT, 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("t/#", qos, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(1);
    Attached attached = await(manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0)));
    session = attached.session();
    RecordingClientChannel client = new RecordingClientChannel(100);
    if (acknowledges) {
      // PUBACK, or for QoS 2 PUBREC then PUBCOMP, each in a later turn
      client.acknowledging(
          packetId -> {
            Runnable ack =
                () ->
                    session.onContext(
                        () -> {
                          if (qos == 2) {
                            session.received(packetId);
                          }
                          session.onContext(() -> session.acknowledged(packetId));
                        });
            if (holdAcks.get()) {
              heldAcks.add(ack);
            } else {
              ack.run();
            }
          });
    }
    manager.attach(attached, client);
    return client;
  }

  /** Publishes messages {@code from} to {@code to} (exclusive), in one turn of the publisher. */
  private List<Future<Integer>> publish(int from, int to, int qos) {
    List<Future<Integer>> routed = new ArrayList<>();
    Promise<Void> published = Promise.promise();
    publisher.runOnContext(
        v -> {
          IntStream.range(from, to).forEach(i -> routed.add(router.route(message(i, qos))));
          published.complete();
        });
    await(published.future());
    return routed;
  }

  private void acknowledgedWhileTheFirstBatchIsWritten(int qos) {
    RecordingClientChannel client = connectedSession(qos, true);
    int before = store.queueChanges();
    Promise<Void> firstBatchWritten = store.holdQueueChanges();

    // its acknowledgement comes only once its append is on its way to the store
    holdAcks.set(true);
    List<Future<Integer>> first = publish(0, 1, qos);
    Await.until(
        "the first message's batch on its way to the store",
        Duration.ofSeconds(10),
        () -> store.queueChanges() == before + 1);
    holdAcks.set(false);
    heldAcks.forEach(Runnable::run);
    List<Future<Integer>> rest = publish(1, 20, qos);

    for (Future<Integer> r : rest) {
      assertThat(await(r)).as("its publisher hears while the first batch is written").isEqualTo(1);
    }
    assertThat(first.get(0).isComplete()).as("the first message is not stored yet").isFalse();
    assertThat(client.received).isEqualTo(IntStream.range(0, 20).mapToObj(i -> "m" + i).toList());

    firstBatchWritten.complete();
    assertThat(await(first.get(0))).isEqualTo(1);
    Await.until(
        "the first message removed",
        Duration.ofSeconds(10),
        () -> await(store.queued(CLIENT)).isEmpty());
    assertThat(store.queueChanges() - before)
        .as("store operations: the first message's append, then its removal")
        .isEqualTo(2);
    assertThat(store.lastQueueChanges())
        .extracting(QueueChange::kind)
        .containsExactly(QueueChange.Kind.REMOVE);
  }

  @Test
  void qos1MessagesAcknowledgedWhileTheirBatchWaitsAreNeverWritten() {
    acknowledgedWhileTheFirstBatchIsWritten(1);
  }

  @Test
  void qos2MessagesCompletedWhileTheirBatchWaitsAreNeverWritten() {
    acknowledgedWhileTheFirstBatchIsWritten(2);
  }

  @Test
  void messagesNotAcknowledgedAreWrittenInOrderAfterTheBatchBeforeThem() {
    connectedSession(1, false);
    int before = store.queueChanges();
    Promise<Void> firstBatchWritten = store.holdQueueChanges();
    List<Future<Integer>> first = publish(0, 1, 1);
    Await.until(
        "the first message's batch on its way to the store",
        Duration.ofSeconds(10),
        () -> store.queueChanges() == before + 1);
    List<Future<Integer>> rest = publish(1, 20, 1);

    firstBatchWritten.complete();
    for (Future<Integer> r : first) {
      assertThat(await(r)).isEqualTo(1);
    }
    for (Future<Integer> r : rest) {
      assertThat(await(r)).isEqualTo(1);
    }
    assertThat(await(store.queued(CLIENT)))
        .extracting(q -> q.message().id())
        .containsExactlyElementsOf(IntStream.range(0, 20).mapToObj(i -> "m" + i).toList());
  }
}
