package io.mqttgrid.mqtt;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;

/**
 * Runs the answers to a client that are decided after the read that asked for them, on the
 * connection's context: a persistent subscriber's session completes its store on its own event
 * loop, maybe another one (or another node answers), and the Receive Maximum count, the queue of
 * acknowledgements and the endpoint are the connection's, unsynchronized.
 *
 * <p>The connection's flushes are held from the first such answer until a task queued behind it
 * runs, so that the answers decided together (the publishes of a subscriber's batch, stored or
 * acknowledged at once) leave in one write. Vert.x flushes a write made outside a read at once, a
 * system call and a TCP segment per acknowledgement, which was a quarter of a persistent cell's
 * event-loop time (docs/performance.md). An answer decided within its read needs none of this:
 * Vert.x flushes what a read wrote once, at the read's end.
 */
final class LateAnswers {

  private final Context context;
  private final Runnable holdFlushes;
  private final Runnable releaseFlushes;

  /** Whether the flushes are held until the task queued by {@link #holdForThisTurn} runs. */
  private boolean held;

  /**
   * @param holdFlushes holds the connection's flushes (nests: each hold is released once)
   */
  LateAnswers(Context context, Runnable holdFlushes, Runnable releaseFlushes) {
    this.context = context;
    this.holdFlushes = holdFlushes;
    this.releaseFlushes = releaseFlushes;
  }

  /**
   * Answers once {@code decided} completes: at once when it has already (the answer is written
   * within the read that asked, which Vert.x flushes at its end), else by {@link #run}.
   */
  <T> void when(Future<T> decided, Handler<AsyncResult<T>> answer) {
    if (decided.isComplete()) {
      answer.handle(decided);
    } else {
      decided.onComplete(ar -> run(() -> answer.handle(ar)));
    }
  }

  /** Runs {@code answer} on the connection's context, from any thread. */
  void run(Runnable answer) {
    if (Vertx.currentContext() == context) {
      holdForThisTurn();
      answer.run();
    } else {
      context.runOnContext(
          v -> {
            holdForThisTurn();
            answer.run();
          });
    }
  }

  private void holdForThisTurn() {
    if (!held) {
      held = true;
      holdFlushes.run();
      context.runOnContext(
          v -> {
            held = false;
            releaseFlushes.run();
          });
    }
  }
}
