package io.mqttgrid.session;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * The store operations of one session that have not completed yet, and who waits for none to be
 * left (a session that retires answers once its writes are done). Made by the session with its
 * first store operation: a clean session never has one. On the session's context.
 */
final class PendingStoreWrites {

  private int pending;

  /** Made when the first one waits. */
  private List<Promise<Void>> idleWaiters;

  /**
   * What each tracked operation's completion runs: one handler for all of them, where a lambda per
   * operation was an object per message appended, marked sent and removed.
   */
  private final Handler<AsyncResult<Object>> completed = ar -> completed();

  /** Counts {@code op} until it completes; answers it. */
  @SuppressWarnings("unchecked")
  <T> Future<T> track(Future<T> op) {
    pending++;
    ((Future<Object>) op).onComplete(completed);
    return op;
  }

  private void completed() {
    pending--;
    if (pending == 0 && idleWaiters != null) {
      List<Promise<Void>> waiters = idleWaiters;
      idleWaiters = null;
      waiters.forEach(Promise::tryComplete);
    }
  }

  /** Completes when no store operation is pending. */
  Future<Void> whenIdle() {
    if (pending == 0) {
      return Future.succeededFuture();
    }
    if (idleWaiters == null) {
      idleWaiters = new ArrayList<>();
    }
    Promise<Void> p = Promise.promise();
    idleWaiters.add(p);
    return p.future();
  }
}
