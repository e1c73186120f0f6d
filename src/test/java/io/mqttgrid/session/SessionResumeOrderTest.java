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
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A persistent session resumed while messages for it are still on their way into its queue: the
 * client gets one publisher's messages in the order they were published (MQTT 5 section 4.6),
 * whichever copy of the session (the offline one, or the resumed one) took each of them in.
 */
class SessionResumeOrderTest {

  private static final String NODE = "n-here";
  private static final String DEAD = "n-dead";
  private static final String CLIENT = "sub";

  private final Vertx vertx = Vertx.vertx();
  private final InMemorySessionStore store = new InMemorySessionStore(vertx);
  private final MessageRouter router = new MessageRouter();
  private final SessionManager manager =
      new SessionManager(
          vertx, NODE, store, router, new SessionLimitsBuilder().build(), SessionTests.NO_EVENTS);

  /** One publisher: its messages are routed from one event loop, in order. */
  private final Context publisher = vertx.getOrCreateContext();

  @AfterEach
  void closeVertx() {
    vertx.close();
  }

  private static PublishedMessage message(int n) {
    return new PublishedMessage(
        "m" + n, "t/1", new byte[] {1}, 1, false, null, 1L, 0L, -1, null, null, null, null);
  }

  /** The session's client, offline: a persistent session subscribed to t/#, left on this node. */
  private Session offlineSession() {
    await(
        store.save(
            new SessionRecord(CLIENT, 5, 3600, DEAD, "c-dead")
                .subscriptions(List.of(new Subscription("t/#", 1, false, false, 0, 0)))
                .offline(System.currentTimeMillis())));
    assertThat(await(manager.adoptSessionsOf(DEAD))).isEqualTo(1);
    return manager.local(CLIENT);
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

  @Test
  void messagesStillOnTheirWayIntoTheQueueWhenTheSessionResumesAreDeliveredBeforeLaterOnes() {
    Session offline = offlineSession();
    Promise<Void> storeCatchesUp = store.holdQueueChanges();
    int changesBefore = store.queueChanges();

    // the offline copy takes m0..m9 in; their batch is on its way to the store
    List<Future<Integer>> early = publish(0, 10);
    Await.until(
        "the offline copy's batch reached the store",
        Duration.ofSeconds(10),
        () -> store.queueChanges() > changesBefore);

    // the client comes back: the resumed copy claims the queue and is routed to
    Future<Attached> connecting =
        manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0));
    Await.until(
        "the resumed copy is routed to instead of the offline one",
        Duration.ofSeconds(10),
        offline::superseded);
    List<Future<Integer>> late = publish(10, 20);

    // now the offline copy's batch is stored, after the claim: it was the resumed copy's to keep
    storeCatchesUp.complete();
    Attached attached = await(connecting);
    // takes every PUBLISH and acknowledges nothing
    RecordingClientChannel client = new RecordingClientChannel(1_000);
    manager.attach(attached, client);

    List<String> all = IntStream.range(0, 20).mapToObj(i -> "m" + i).toList();
    Await.until(
        "the client got all 20 messages (got " + client.received + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= all.size());
    assertThat(client.received).as("in the order they were published").isEqualTo(all);
    for (Future<Integer> f : early) {
      assertThat(await(f)).as("stored before the publisher heard").isEqualTo(1);
    }
    for (Future<Integer> f : late) {
      assertThat(await(f)).as("stored before the publisher heard").isEqualTo(1);
    }
    assertThat(await(store.queued(CLIENT)))
        .extracting(q -> q.message().id())
        .as("the queue, in order")
        .isEqualTo(all);
  }

  @Test
  void aMessageRoutedToBothCopiesWhileTheOldOneWasStillRoutedToIsDeliveredOnce() {
    Session offline = offlineSession();
    Promise<Void> storeCatchesUp = store.holdQueueChanges();
    int changesBefore = store.queueChanges();
    List<Future<Integer>> early = publish(0, 5);
    Await.until(
        "the offline copy's batch reached the store",
        Duration.ofSeconds(10),
        () -> store.queueChanges() > changesBefore);

    Future<Attached> connecting =
        manager.connect(new ConnectRequest(CLIENT, false, 3600, 5, null, 0));
    Await.until("the resumed copy is routed to", Duration.ofSeconds(10), offline::superseded);
    Session resumed = manager.local(CLIENT);
    // m4 reached the old copy (above) and, as the router saw both copies' routes for a moment,
    // the new one too
    Promise<Future<Void>> twice = Promise.promise();
    publisher.runOnContext(v -> twice.complete(resumed.deliver(message(4), 1, false, null, null)));
    Future<Void> secondCopy = await(twice.future());
    List<Future<Integer>> late = publish(5, 8);

    storeCatchesUp.complete();
    Attached attached = await(connecting);
    // takes every PUBLISH and acknowledges nothing
    RecordingClientChannel client = new RecordingClientChannel(1_000);
    manager.attach(attached, client);

    List<String> all = IntStream.range(0, 8).mapToObj(i -> "m" + i).toList();
    Await.until(
        "the client got all 8 messages (got " + client.received + ")",
        Duration.ofSeconds(10),
        () -> client.received.size() >= all.size());
    await(secondCopy);
    for (Future<Integer> f : early) {
      await(f);
    }
    for (Future<Integer> f : late) {
      await(f);
    }
    assertThat(client.received).as("each once, in order").isEqualTo(all);
    assertThat(await(store.queued(CLIENT))).extracting(q -> q.message().id()).isEqualTo(all);
  }
}
