package io.mqttgrid.session;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletionStage;

/**
 * Turns a Hazelcast future into a Vert.x future completed on the caller's context.
 *
 * <p>Not {@code Future.fromCompletionStage}: that registers a plain {@code whenComplete}, which Hazelcast runs
 * on its default async executor, and on a machine where the common fork-join pool has one thread (two
 * cores) that executor starts a new thread for every callback, about a millisecond per store operation.
 * Here the callback runs on the thread that completes the operation and only hands the result to the
 * context. (Main's common-pool setting is for the Hazelcast callbacks that do not come through here.)
 */
public final class StoreFutures {

  private StoreFutures() {
  }

  public static <T> Future<T> onContext(CompletionStage<T> stage, Context context) {
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync((value, error) -> context.runOnContext(v -> {
      if (error != null) {
        promise.fail(error);
      } else {
        promise.complete(value);
      }
    }), Runnable::run);
    return promise.future();
  }
}
