package io.mqttgrid.session;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The in-memory store keeps the session store contract, so unit tests of the session logic can use
 * it.
 */
class InMemorySessionStoreTest extends SessionStoreContract {

  private static Vertx vertx;
  private final SessionStore store = new InMemorySessionStore(vertx);

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close();
  }

  @Override
  protected SessionStore store() {
    return store;
  }
}
