package io.mqttgrid.session;

import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;

/** What the session package's tests share: waiting for a future, and events nobody listens to. */
final class SessionTests {

  /** Session events a test does not look at. */
  static final SessionEvents NO_EVENTS =
      new SessionEvents() {
        @Override
        public void dropped(String clientId, String reason) {}

        @Override
        public void overflowed(Session session) {}
      };

  private SessionTests() {}

  /** The future's result, waited for at most 10 s; a failure or timeout fails the test. */
  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
