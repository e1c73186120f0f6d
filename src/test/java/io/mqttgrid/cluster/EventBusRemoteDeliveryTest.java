package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sending side of node-to-node delivery with the receiving side's own handler, over a local
 * event bus: publishes routed to a node in one event-loop turn travel as one event-bus message, in
 * order, and each publisher learns its own publish's outcome from the one reply.
 */
class EventBusRemoteDeliveryTest {

  private final Vertx vertx = Vertx.vertx();

  /** Event-bus messages sent to each node's delivery address. */
  private final Map<String, AtomicInteger> sentTo = new ConcurrentHashMap<>();

  /** Whether each of them was sent expecting an answer. */
  private final List<Boolean> answerExpected = new CopyOnWriteArrayList<>();

  /** Message ids in the order each node's receiving handler got them. */
  private final Map<String, List<String>> received = new ConcurrentHashMap<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private EventBusRemoteDelivery delivery(
      long timeoutMillis, Function<NodeMessages.Delivery, Future<Integer>> there, String... nodes)
      throws Exception {
    vertx
        .eventBus()
        .addOutboundInterceptor(
            ctx -> {
              for (String node : nodes) {
                if (ctx.message().address().equals(EventBusRemoteDelivery.address(node))) {
                  sentTo.computeIfAbsent(node, k -> new AtomicInteger()).incrementAndGet();
                  answerExpected.add(ctx.message().replyAddress() != null);
                }
              }
              ctx.next();
            });
    for (String node : nodes) {
      List<String> got = received.computeIfAbsent(node, k -> new CopyOnWriteArrayList<>());
      MessageConsumer<Buffer> consumer =
          vertx
              .eventBus()
              .consumer(
                  EventBusRemoteDelivery.address(node),
                  msg ->
                      NodeBusVerticle.receive(
                          msg,
                          d -> {
                            got.add(d.message().id());
                            return there.apply(d);
                          }));
      await(consumer.completion());
    }
    return new EventBusRemoteDelivery(vertx, timeoutMillis);
  }

  static PublishedMessage message(String id, String topic, int qos, int payloadBytes) {
    return new PublishedMessage(
        id, topic, new byte[payloadBytes], qos, false, "pub", 1L, 0L, -1, null, null, null, null);
  }

  /** Runs {@code deliveries} within one turn of an event loop, as a publisher's connection does. */
  private <T> T inOneTurn(Supplier<T> deliveries) throws Exception {
    Promise<T> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> done.complete(deliveries.get()));
    return await(done.future());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(Future<?> f) throws Exception {
    try {
      await(f);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("succeeded: " + f.result());
  }

  @Test
  void publishesRoutedToANodeInOneTurnTravelAsOneEventBusMessageAndArriveInOrder()
      throws Exception {
    EventBusRemoteDelivery delivery = delivery(10_000, d -> Future.succeededFuture(1), "n2", "n3");
    List<Future<Integer>> answers =
        inOneTurn(
            () -> {
              List<Future<Integer>> all = new ArrayList<>();
              for (int i = 0; i < 100; i++) {
                String node = i % 4 == 0 ? "n3" : "n2";
                all.add(delivery.deliver(node, message("m" + i, "t", 1, 64), true, List.of()));
              }
              return all;
            });
    for (Future<Integer> answer : answers) {
      assertThat(await(answer)).isEqualTo(1);
    }
    assertThat(sentTo.get("n2")).as("event-bus messages to n2 for 75 publishes").hasValue(1);
    assertThat(sentTo.get("n3")).as("event-bus messages to n3 for 25 publishes").hasValue(1);
    List<String> toN2 = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      if (i % 4 != 0) {
        toN2.add("m" + i);
      }
    }
    assertThat(received.get("n2")).containsExactlyElementsOf(toN2);
    assertThat(received.get("n3")).hasSize(25).startsWith("m0", "m4", "m8");
  }

  @Test
  void aBatchIsCutAtItsMessageAndByteLimitsAndOrderHoldsAcrossTheCuts() throws Exception {
    EventBusRemoteDelivery delivery = delivery(10_000, d -> Future.succeededFuture(1), "n2");
    int n = 2 * EventBusRemoteDelivery.MAX_BATCH_MESSAGES + 3;
    List<Future<Integer>> answers =
        inOneTurn(
            () -> {
              List<Future<Integer>> all = new ArrayList<>();
              for (int i = 0; i < n; i++) {
                all.add(delivery.deliver("n2", message("m" + i, "t", 1, 16), true, List.of()));
              }
              return all;
            });
    await(Future.all(answers));
    assertThat(sentTo.get("n2")).hasValue(3);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      expected.add("m" + i);
    }
    assertThat(received.get("n2")).containsExactlyElementsOf(expected);

    // by size: two publishes of 60% of the limit fill a batch, the third goes in the next
    int large = EventBusRemoteDelivery.MAX_BATCH_BYTES * 6 / 10;
    received.get("n2").clear();
    List<Future<Integer>> big =
        inOneTurn(
            () ->
                List.of(
                    delivery.deliver("n2", message("b0", "t", 1, large), true, List.of()),
                    delivery.deliver("n2", message("b1", "t", 1, large), true, List.of()),
                    delivery.deliver("n2", message("b2", "t", 1, large), true, List.of())));
    await(Future.all(big));
    assertThat(sentTo.get("n2")).hasValue(3 + 2);
    assertThat(received.get("n2")).containsExactly("b0", "b1", "b2");
  }

  @Test
  void eachPublisherLearnsItsOwnPublishsOutcomeFromTheOneReplyOfItsBatch() throws Exception {
    // the receiving node's outcomes complete out of order: the last publish's first
    List<Promise<Integer>> pending = new CopyOnWriteArrayList<>();
    EventBusRemoteDelivery delivery =
        delivery(
            10_000,
            d -> {
              Promise<Integer> p = Promise.promise();
              pending.add(p);
              return p.future();
            },
            "n2");
    List<Future<Integer>> answers =
        inOneTurn(
            () ->
                List.of(
                    delivery.deliver("n2", message("ok", "a", 1, 8), true, List.of()),
                    delivery.deliver("n2", message("full", "b", 1, 8), true, List.of()),
                    delivery.deliver("n2", message("qos0", "c", 0, 8), true, List.of()),
                    delivery.deliver("n2", message("noroute", "d", 2, 8), true, List.of()),
                    delivery.deliver(
                        "n2", message("broken", "e", 1, 8), false, List.of("$share/g/e"))));
    // QoS 0 waits for nothing
    assertThat(answers.get(2).succeeded()).isTrue();
    assertThat(answers.get(2).result()).isEqualTo(-1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pending.size() < 5 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(pending).hasSize(5);
    pending.get(4).fail(new IllegalStateException("disk on fire"));
    pending.get(3).fail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 404, "no route"));
    pending.get(2).fail(new IllegalStateException("a QoS 0 failure nobody waits for"));
    pending.get(1).fail(new QueueFullException("queues full"));
    assertThat(answers.get(0).isComplete()).as("answered before its batch is").isFalse();
    pending.get(0).complete(3);

    assertThat(await(answers.get(0))).isEqualTo(3);
    assertThat(failureOf(answers.get(1)))
        .isInstanceOf(QueueFullException.class)
        .hasMessage("queues full");
    assertThat(failureOf(answers.get(3)))
        .isInstanceOfSatisfying(
            ReplyException.class,
            r -> {
              assertThat(r.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
              assertThat(r.failureCode()).isEqualTo(404);
              assertThat(r.getMessage()).isEqualTo("no route");
            });
    assertThat(failureOf(answers.get(4)))
        .isInstanceOfSatisfying(
            ReplyException.class,
            r -> {
              assertThat(r.failureCode()).isEqualTo(500);
              assertThat(r.getMessage()).isEqualTo("disk on fire");
            });
    assertThat(sentTo.get("n2")).hasValue(1);
    assertThat(received.get("n2")).containsExactly("ok", "full", "qos0", "noroute", "broken");
  }

  @Test
  void aNodeThatLeavesFailsEveryPublishWaitingForItAtOnceAndTakesNoMoreUntilItIsBack()
      throws Exception {
    EventBusRemoteDelivery delivery =
        delivery(
            60_000,
            d ->
                d.message().topic().equals("back")
                    ? Future.succeededFuture(1)
                    : Future.future(p -> {}),
            "n2");
    List<Future<Integer>> answers =
        inOneTurn(
            () -> {
              List<Future<Integer>> all = new ArrayList<>();
              for (int i = 0; i < 10; i++) {
                all.add(delivery.deliver("n2", message("m" + i, "t", 1, 8), true, List.of()));
              }
              return all;
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.get("n2").size() < 10 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(received.get("n2")).hasSize(10);
    assertThat(answers).noneMatch(Future::isComplete);

    delivery.nodeLeft("n2");
    for (Future<Integer> answer : answers) {
      // at once: the 60 s timeout is far away
      assertThat(answer.isComplete()).isTrue();
      assertThat(answer.cause()).hasMessage("node n2 left the cluster");
    }
    assertThat(
            failureOf(
                inOneTurn(() -> delivery.deliver("n2", message("x", "t", 1, 8), true, List.of()))))
        .hasMessage("node n2 left the cluster");
    Future<Integer> qos0 =
        inOneTurn(() -> delivery.deliver("n2", message("y", "t", 0, 8), true, List.of()));
    assertThat(qos0.succeeded()).isTrue();
    assertThat(qos0.result()).isEqualTo(-1);
    assertThat(sentTo.get("n2")).hasValue(1);

    delivery.nodeJoined("n2");
    assertThat(
            await(
                inOneTurn(
                    () -> delivery.deliver("n2", message("z", "back", 1, 8), true, List.of()))))
        .isEqualTo(1);
  }

  @Test
  void withoutAnAnswerInTimeEveryPublishOfTheBatchFails() throws Exception {
    EventBusRemoteDelivery delivery = delivery(300, d -> Future.future(p -> {}), "n2");
    List<Future<Integer>> answers =
        inOneTurn(
            () ->
                List.of(
                    delivery.deliver("n2", message("a", "t", 1, 8), true, List.of()),
                    delivery.deliver("n2", message("b", "t", 2, 8), true, List.of())));
    for (Future<Integer> answer : answers) {
      assertThat(failureOf(answer))
          .isInstanceOfSatisfying(
              ReplyException.class,
              r -> assertThat(r.failureType()).isEqualTo(ReplyFailure.TIMEOUT));
    }
  }

  @Test
  void aBatchOfQos0PublishesIsSentWithoutWaitingForAnAnswer() throws Exception {
    EventBusRemoteDelivery delivery = delivery(10_000, d -> Future.succeededFuture(1), "n2");
    List<Future<Integer>> answers =
        inOneTurn(
            () -> {
              List<Future<Integer>> all = new ArrayList<>();
              for (int i = 0; i < 20; i++) {
                all.add(delivery.deliver("n2", message("m" + i, "t", 0, 8), true, List.of()));
              }
              return all;
            });
    assertThat(answers).allMatch(f -> f.succeeded() && f.result() == -1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.get("n2").size() < 20 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(received.get("n2")).hasSize(20);
    assertThat(sentTo.get("n2")).hasValue(1);
    assertThat(answerExpected).containsExactly(false);
  }

  @Test
  void aPublishRoutedOutsideAnEventLoopGoesAtOnceOnItsOwn() throws Exception {
    EventBusRemoteDelivery delivery = delivery(10_000, d -> Future.succeededFuture(2), "n2");
    List<Future<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      answers.add(delivery.deliver("n2", message("m" + i, "t", 1, 8), true, List.of()));
    }
    for (Future<Integer> answer : answers) {
      assertThat(await(answer)).isEqualTo(2);
    }
    assertThat(sentTo.get("n2")).hasValue(3);
    assertThat(received.get("n2")).containsExactly("m0", "m1", "m2");
    assertThat(Collections.frequency(answerExpected, true)).isEqualTo(3);
  }
}
