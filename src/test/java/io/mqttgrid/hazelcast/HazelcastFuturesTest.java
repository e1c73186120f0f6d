package io.mqttgrid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a Hazelcast result reaches the caller's context. */
class HazelcastFuturesTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  /**
   * An operation can be done before its callback is registered (a quick local one), so the callback
   * then runs on the caller's own thread: the result still comes in a later task of the context,
   * never inside the caller's call (code that changes its state after starting an operation relies
   * on it).
   */
  @Test
  void aResultAlreadyThereComesInALaterTaskOfTheContext() throws Exception {
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Boolean> doneInsideTheCall = new CompletableFuture<>();
    AtomicReference<Future<String>> result = new AtomicReference<>();
    context.runOnContext(
        v -> {
          AtomicBoolean returned = new AtomicBoolean();
          Future<String> f =
              HazelcastFutures.onContext(CompletableFuture.completedFuture("x"), context);
          f.onComplete(ar -> doneInsideTheCall.complete(!returned.get()));
          result.set(f);
          returned.set(true);
        });
    assertThat(doneInsideTheCall.get(5, TimeUnit.SECONDS)).isFalse();
    assertThat(result.get().result()).isEqualTo("x");
  }

  /** A result from another thread reaches the listeners on the context. */
  @Test
  void aResultFromAnotherThreadReachesTheListenersOnTheContext() throws Exception {
    Context context = vertx.getOrCreateContext();
    CompletableFuture<String> operation = new CompletableFuture<>();
    CompletableFuture<Boolean> onContext = new CompletableFuture<>();
    context.runOnContext(
        v ->
            HazelcastFutures.onContext(operation, context)
                .onComplete(ar -> onContext.complete(Vertx.currentContext() == context)));
    Thread other = new Thread(() -> operation.complete("y"));
    other.start();
    assertThat(onContext.get(5, TimeUnit.SECONDS)).isTrue();
  }
}
