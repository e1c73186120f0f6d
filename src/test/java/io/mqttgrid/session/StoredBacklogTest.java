package io.mqttgrid.session;

import static io.mqttgrid.session.SessionTests.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connected persistent session far behind its publishers: its pending queue holds only {@code
 * session.max-pending-*}, the store keeps the rest and the session reads it back, so the client
 * gets every stored message once, in order; only the stored queue's own bound refuses a message.
 */
class StoredBacklogTest {

  private static final String NODE = "n-here";
  private static final String DEAD = "n-dead";
  private static final String CLIENT = "sub";
  private static final int MAX_PENDING = 5;

  private final Vertx vertx = Vertx.vertx();
  private final InMemorySessionStore store = new InMemorySessionStore(vertx);
  private final MessageRouter router = new MessageRouter();
  private final List<String> dropped = new CopyOnWriteArrayList<>();

  /** One publisher: its messages are routed from one event loop, in order. */
  private final Context publisher = vertx.getOrCreateContext();

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private SessionManager manager(int maxQueuedConnected) {
    return new SessionManager(
        vertx,
        NODE,
        store,
        router,
        new SessionLimitsBuilder()
            .maxPending(MAX_PENDING)
            .holdAcks(MAX_PENDING / 2, 1_000)
            .maxQueuedConnected(maxQueuedConnected, 1L << 30)
            .build(),
        new SessionEvents() {
          @Override
          public void dropped(String clientId, String reason) {
            dropped.add(reason);
          }

          @Override
          public void overflowed(Session session) {}
        });
  }

  private static PublishedMessage message(int n) {
    return new PublishedMessage(
        "m" + n, "t/1", new byte[] {1}, 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  private static List<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "m" + i).toList();
  }

  /** The client's session, offline on this node, subscribed to t/#. */
  private void offlineSession(SessionManager manager) {
    await(
        store.save(
            new SessionRecord(CLIENT, 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("t/#", 1, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(1);
  }

  private RecordingClientChannel connect(SessionManager manager, boolean acknowledges) {
    Attached attached = await(manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0)));
    RecordingClientChannel client = client(attached.session(), acknowledges);
    manager.attach(attached, client);
    return client;
  }

  /** Publishes messages {@code from} to {@code to} (exclusive), in one turn of the publisher. */
  private List<Future<Integer>> publish(int from, int to) {
    List<Future<Integer>> routed = new ArrayList<>();
    Promise<Void> published = Promise.promise();
    publisher.runOnContext(
        v -> {
          IntStream.range(from, to).forEach(i -> routed.add(router.route(message(i))));
          published.complete();
        });
    await(published.future());
    return routed;
  }

  /**
   * A client with a window of 2 that acknowledges each PUBLISH in a later turn (if it {@code
   * acknowledges}).
   */
  private static RecordingClientChannel client(Session session, boolean acknowledges) {
    RecordingClientChannel client = new RecordingClientChannel(2);
    if (acknowledges) {
      client.acknowledging(packetId -> session.onContext(() -> session.acknowledged(packetId)));
    }
    return client;
  }

  @Test
  void aSessionFarBehindGetsEveryStoredMessageOnceInOrderAndDropsNone() {
    SessionManager manager = manager(Integer.MAX_VALUE);
    offlineSession(manager);
    RecordingClientChannel client = connect(manager, true);

    List<Future<Integer>> routed = new ArrayList<>();
    for (int turn = 0; turn < 10; turn++) {
      routed.addAll(publish(turn * 50, turn * 50 + 50));
    }

    Await.until(
        "the client got 500 messages (got " + client.received.size() + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= 500);
    assertThat(client.received).as("once each, in publish order").isEqualTo(ids(0, 500));
    for (Future<Integer> r : routed) {
      assertThat(await(r)).as("stored before its publisher heard").isEqualTo(1);
    }
    assertThat(dropped).isEmpty();
    assertThat(store.queueReads()).as("read back from the store").isPositive();
    Await.until(
        "every acknowledged message removed from the store",
        Duration.ofSeconds(10),
        () -> await(store.queued(CLIENT)).isEmpty());
  }

  @Test
  void aReconnectWithMoreStoredThanThePendingBoundGetsAllOfItBeforeWhatFollows() {
    SessionManager manager = manager(Integer.MAX_VALUE);
    offlineSession(manager);
    List<Future<Integer>> whileOffline = publish(0, 40);
    for (Future<Integer> r : whileOffline) {
      assertThat(await(r)).isEqualTo(1);
    }

    RecordingClientChannel client = connect(manager, true);
    List<Future<Integer>> after = publish(40, 60);

    Await.until(
        "the client got 60 messages (got " + client.received.size() + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= 60);
    assertThat(client.received).isEqualTo(ids(0, 60));
    for (Future<Integer> r : after) {
      assertThat(await(r)).isEqualTo(1);
    }
    assertThat(dropped).isEmpty();
  }

  @Test
  void whatArrivesWhileTheSessionAttachesFollowsTheStoredQueueOnceEach() {
    SessionManager manager = manager(Integer.MAX_VALUE);
    offlineSession(manager);
    for (Future<Integer> r : publish(0, 20)) {
      assertThat(await(r)).isEqualTo(1);
    }
    Attached attached = await(manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0)));
    List<Future<Integer>> whileAttaching = publish(20, 50);
    for (Future<Integer> r : whileAttaching) {
      assertThat(await(r)).as("stored before its publisher heard").isEqualTo(1);
    }

    RecordingClientChannel client = client(attached.session(), true);
    manager.attach(attached, client);
    List<Future<Integer>> after = publish(50, 60);

    Await.until(
        "the client got 60 messages (got " + client.received.size() + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= 60);
    assertThat(client.received).isEqualTo(ids(0, 60));
    for (Future<Integer> r : after) {
      assertThat(await(r)).isEqualTo(1);
    }
    assertThat(dropped).isEmpty();
  }

  @Test
  void whatArrivesWhileTheSessionAttachesToAnEmptyQueueIsReadBackFromItsFirstMessage() {
    SessionManager manager = manager(Integer.MAX_VALUE);
    offlineSession(manager);
    Attached attached = await(manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0)));
    // five wait in memory, the rest only in the store; the window asks for them as it attaches
    for (Future<Integer> r : publish(0, 30)) {
      assertThat(await(r)).isEqualTo(1);
    }

    RecordingClientChannel client = client(attached.session(), true);
    manager.attach(attached, client);

    Await.until(
        "the client got 30 messages (got " + client.received.size() + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= 30);
    assertThat(client.received).isEqualTo(ids(0, 30));
    assertThat(dropped).isEmpty();
  }

  @Test
  void pastTheStoredQueuesOwnBoundAMessageIsRefusedToItsPublisherAndCounted() {
    SessionManager manager = manager(20);
    offlineSession(manager);
    RecordingClientChannel client = connect(manager, false);
    Await.until("attached", Duration.ofSeconds(10), () -> manager.local(CLIENT).isOnline());

    List<Future<Integer>> routed = publish(0, 40);

    int kept = 0;
    int refused = 0;
    for (Future<Integer> r : routed) {
      try {
        r.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        kept++;
      } catch (Exception e) {
        assertThat(r.cause()).isInstanceOf(QueueFullException.class);
        refused++;
      }
    }
    // two sent (the client's window), then 20 not sent yet: pending and store alike
    assertThat(kept).isEqualTo(22);
    assertThat(refused).isEqualTo(18);
    assertThat(dropped).hasSize(refused).containsOnly("queue-full");
    assertThat(await(store.queued(CLIENT))).extracting(q -> q.message().id()).isEqualTo(ids(0, 22));
    assertThat(client.received).isEqualTo(ids(0, 2));
  }
}
