package io.mqttgrid.hazelcast;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletionStage;

/**
 * Turns a Hazelcast future into a Vert.x future completed on the caller's context. Every callback
 * the broker registers on a Hazelcast future goes through here.
 *
 * <p>Hand-written rather than {@code Future.fromCompletionStage(stage, context)}: that registers a
 * plain {@code whenComplete}, which Hazelcast (5.6, {@code AbstractInvocationFuture}) runs on its
 * default async executor, the common fork-join pool, or, where that pool has one thread (machines
 * with two cores), a new thread per callback, about a millisecond per store operation. Here the
 * callback runs on the thread that completes the operation and only hands the result to the
 * context.
 */
final class HazelcastFutures {

  private HazelcastFutures() {}

  static <T> Future<T> onContext(CompletionStage<T> stage, Context context) {
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync(
        (value, error) ->
            context.runOnContext(
                v -> {
                  if (error != null) {
                    promise.fail(error);
                  } else {
                    promise.complete(value);
                  }
                }),
        Runnable::run);
    return promise.future();
  }
}
