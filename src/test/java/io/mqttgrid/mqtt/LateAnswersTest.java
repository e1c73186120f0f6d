package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Answers decided after their read run on the connection's context and leave in one flush. */
class LateAnswersTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void answersDecidedOnOtherThreadsRunOnTheContextUnderOneHold() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch released = new CountDownLatch(1);
    LateAnswers answers = answers(context, events, released);
    CountDownLatch contextBusy = new CountDownLatch(1);
    // the context is busy while three answers are decided elsewhere: they queue up behind, as a
    // subscriber's stored batch answers its publishers at once
    context.runOnContext(v -> await(contextBusy));
    for (String name : List.of("a1", "a2", "a3")) {
      answers.run(
          () -> events.add(name + (Vertx.currentContext() == context ? " on context" : " off")));
    }
    context.runOnContext(v -> events.add("next task"));
    contextBusy.countDown();
    assertThat(released.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(events)
        .containsExactly(
            "hold", "a1 on context", "a2 on context", "a3 on context", "next task", "release");
  }

  @Test
  void answersDecidedOnTheContextRunAtOnceAndTheirFlushWaitsForTheTurnsEnd() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch released = new CountDownLatch(1);
    LateAnswers answers = answers(context, events, released);
    context.runOnContext(
        v -> {
          answers.run(() -> events.add("a1"));
          answers.run(() -> events.add("a2"));
          events.add("end of the turn");
        });
    assertThat(released.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(events).containsExactly("hold", "a1", "a2", "end of the turn", "release");
  }

  @Test
  void anAnswerDecidedWithinItsReadIsGivenAtOnceWithoutAHoldAndALaterOneUnderOne()
      throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch released = new CountDownLatch(1);
    LateAnswers answers = answers(context, events, released);
    Promise<String> later = Promise.promise();
    context.runOnContext(
        v -> {
          answers.when(Future.succeededFuture("now"), ar -> events.add(ar.result()));
          answers.when(later.future(), ar -> events.add(ar.result()));
          events.add("end of the read");
        });
    context.runOnContext(v -> later.complete("later"));
    assertThat(released.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(events).containsExactly("now", "end of the read", "hold", "later", "release");
  }

  @Test
  void aLaterTurnHoldsAgain() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    LateAnswers answers = answers(context, events, new CountDownLatch(2));
    context.runOnContext(v -> answers.run(() -> events.add("a1")));
    context.runOnContext(v -> context.runOnContext(w -> answers.run(() -> events.add("a2"))));
    context.runOnContext(
        v -> context.runOnContext(w -> context.runOnContext(x -> done.countDown())));
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(events).containsExactly("hold", "a1", "release", "hold", "a2", "release");
  }

  private static LateAnswers answers(
      Context context, List<String> events, CountDownLatch released) {
    return new LateAnswers(
        context,
        () -> events.add("hold"),
        () -> {
          events.add("release");
          released.countDown();
        });
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
