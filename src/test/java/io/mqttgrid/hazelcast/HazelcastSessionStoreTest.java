package io.mqttgrid.hazelcast;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.session.SessionStore;
import io.mqttgrid.session.SessionStoreContract;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Hazelcast store keeps the session store contract, on a one-member cluster configured as a
 * broker node's (local mode: loopback, joins nobody), so every processor and stored value crosses
 * Hazelcast's serialization.
 */
class HazelcastSessionStoreTest extends SessionStoreContract {

  private static Vertx vertx;
  private static HazelcastInstance hazelcast;
  private static SessionStore store;

  @BeforeAll
  static void startMember() {
    vertx = Vertx.vertx();
    String node = "store-test-" + UUID.randomUUID();
    hazelcast =
        Hazelcast.newHazelcastInstance(
            HazelcastConfigFactory.create(BrokerConfig.of(Map.of("node.id", node))));
    store = new HazelcastSessionStore(vertx, hazelcast);
  }

  @AfterAll
  static void stopMember() {
    hazelcast.shutdown();
    vertx.close();
  }

  @Override
  protected SessionStore store() {
    return store;
  }
}
