package io.mqttgrid.session;

import static io.mqttgrid.session.SessionTests.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.routing.Subscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A persistent session's changes of its durable queue reach the store in batches: what reaches the
 * session in one event-loop turn is one store operation, each message still stored before its
 * publisher hears so, in order, and a message that does not fit refused on its own.
 */
class SessionQueueBatchingTest {

  private static final String NODE = "n-here";
  private static final String DEAD = "n-dead";
  private static final int MAX_QUEUED = 150;

  private final Vertx vertx = Vertx.vertx();
  private final InMemorySessionStore store = new InMemorySessionStore(vertx);
  private final MessageRouter router = new MessageRouter();
  private final SessionManager manager =
      new SessionManager(
          vertx,
          NODE,
          store,
          router,
          new SessionLimitsBuilder().maxQueued(MAX_QUEUED).build(),
          SessionTests.NO_EVENTS);

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private static PublishedMessage message(int n) {
    return new PublishedMessage(
        "m" + n, "s/1", new byte[] {1}, 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  /** An offline persistent session subscribed to s/#, adopted from a departed node. */
  private Session offlineSession() {
    await(
        store.save(
            new SessionRecord("stays", 5, 3600, DEAD, "c2")
                .subscriptions(List.of(new Subscription("s/#", 1, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(1);
    return manager.local("stays");
  }

  /** Publishes {@code n} QoS 1 messages from one task on the session's own event loop. */
  private List<Future<Integer>> publishInOneTurn(Session session, int n) {
    List<Future<Integer>> routed = new ArrayList<>();
    Promise<Void> published = Promise.promise();
    session.onContext(
        () -> {
          IntStream.range(0, n).forEach(i -> routed.add(router.route(message(i))));
          published.complete();
        });
    await(published.future());
    return routed;
  }

  @Test
  void
      whatReachesASessionInOneTurnIsOneStoreOperationAndEveryMessageIsStoredBeforeItsPublisherHears() {
    Session session = offlineSession();
    int before = store.queueChanges();

    List<Future<Integer>> routed = publishInOneTurn(session, 100);

    for (Future<Integer> r : routed) {
      assertThat(await(r)).as("routed to the session").isEqualTo(1);
    }
    assertThat(store.queueChanges() - before)
        .as("store operations for 100 messages that arrived in one turn")
        .isEqualTo(1);
    assertThat(await(store.queued("stays")))
        .extracting(q -> q.message().id())
        .containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "m" + i).toList());
  }

  @Test
  void aMessageBeyondTheQueuesBoundIsRefusedOnItsOwnInABatch() {
    Session session = offlineSession();

    List<Future<Integer>> routed = publishInOneTurn(session, MAX_QUEUED + 20);

    for (int i = 0; i < routed.size(); i++) {
      Future<Integer> r = routed.get(i);
      try {
        r.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // a refusal is the publisher's answer, not a test failure
      }
      if (i < MAX_QUEUED) {
        assertThat(r.succeeded()).as("message %d kept", i).isTrue();
      } else {
        assertThat(r.cause()).as("message %d refused", i).isInstanceOf(QueueFullException.class);
      }
    }
    assertThat(await(store.queued("stays"))).hasSize(MAX_QUEUED);
  }

  @Test
  void aMessageAcknowledgedWhileItsMarkAsSentWaitsIsRemovedByOneChange() {
    Context context = vertx.getOrCreateContext();
    QueueWriter writer = new QueueWriter(store, "w", "conn-1", context);
    QueuedMessage m =
        new QueuedMessage(message(1), new int[0], null, QueuedMessage.State.QUEUED, 0);
    Promise<SessionQueue.AppendResult> appended = Promise.promise();
    context.runOnContext(v -> writer.append(m, 10, 1L << 20).outcome().onComplete(appended));
    assertThat(await(appended.future())).isEqualTo(SessionQueue.AppendResult.APPENDED);

    Promise<Void> stored = Promise.promise();
    context.runOnContext(
        v -> {
          writer.markSent(m.seq(), 7);
          writer.remove(m.seq()).onComplete(stored);
        });
    await(stored.future());

    assertThat(store.lastQueueChanges()).containsExactly(QueueChange.remove(m.seq()));
    assertThat(await(store.queued("w"))).isEmpty();
  }
}
