package io.mqttgrid.hazelcast;

import io.mqttgrid.session.SessionStore;
import io.mqttgrid.session.SessionStoreContract;
import io.mqttgrid.testing.LocalNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Hazelcast store keeps the session store contract, on a one-member cluster configured as a
 * broker node's (local mode: loopback, joins nobody), so every processor and stored value crosses
 * Hazelcast's serialization.
 */
class HazelcastSessionStoreTest extends SessionStoreContract {

  @RegisterExtension static final LocalNode node = new LocalNode("store-test");

  private static SessionStore store;

  @BeforeAll
  static void createStore() {
    store = new HazelcastSessionStore(node.vertx(), node.hazelcast());
  }

  @Override
  protected SessionStore store() {
    return store;
  }
}
