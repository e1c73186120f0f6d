package io.mqttgrid.hazelcast;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.CompletionStage;

/**
 * Turns a Hazelcast future into a Vert.x future completed on the caller's context. Every callback
 * the broker registers on a Hazelcast future goes through here.
 *
 * <p>Hand-written rather than {@code Future.fromCompletionStage(stage, context)}: that registers a
 * plain {@code whenComplete}, which Hazelcast (5.6, {@code AbstractInvocationFuture}) runs on its
 * default async executor, the common fork-join pool, or, where that pool has one thread (machines
 * with two cores), a new thread per callback, about a millisecond per store operation. Here the
 * callback runs on the thread that completes the operation and completes a promise of the context:
 * what listens to the future runs on the context (Vert.x hands it there), and a result nobody
 * listens to (a connection released at a disconnect, a record marked offline) costs the event loop
 * nothing, where handing every result to the context woke it for each.
 */
final class HazelcastFutures {

  private HazelcastFutures() {}

  static <T> Future<T> onContext(CompletionStage<T> stage, Context context) {
    ContextInternal on = (ContextInternal) context;
    Promise<T> promise = on.promise();
    stage.whenCompleteAsync((value, error) -> settle(on, promise, value, error), Runnable::run);
    return promise.future();
  }

  /**
   * Completes {@code promise} from the thread that completed the Hazelcast operation; when that is
   * the context's own thread (an operation done before its callback was registered), in a later
   * task of the context, as always before: a caller never sees the result inside its own call.
   */
  private static <T> void settle(
      ContextInternal context, Promise<T> promise, T value, Throwable error) {
    if (context.isRunningOnContext()) {
      context.runOnContext(v -> settle(promise, value, error));
    } else {
      settle(promise, value, error);
    }
  }

  private static <T> void settle(Promise<T> promise, T value, Throwable error) {
    if (error != null) {
      promise.fail(error);
    } else {
      promise.complete(value);
    }
  }
}
