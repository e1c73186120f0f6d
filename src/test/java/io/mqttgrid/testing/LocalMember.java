package io.mqttgrid.testing;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.hazelcast.PersistentMaps;
import io.mqttgrid.persistence.StateDatabase;
import java.util.Map;
import java.util.UUID;

/**
 * A Hazelcast member alone in a cluster of its own, configured as a broker node in {@code
 * cluster.mode=local} configures it (cluster-config/local.yaml): it binds to loopback, joins
 * nobody, its cluster name holds its node id (so two tests' members never meet) and its port moves
 * up from a taken one. Every processor and stored value crosses Hazelcast's serialization, as on a
 * node. Closing shuts the member down.
 */
public final class LocalMember implements AutoCloseable {

  private final HazelcastInstance hazelcast;

  /** The database behind its maps, to close once it has stopped (null: none). */
  private final PersistentMaps stores;

  private LocalMember(HazelcastInstance hazelcast, PersistentMaps stores) {
    this.hazelcast = hazelcast;
    this.stores = stores;
  }

  /**
   * The member configuration of a new node whose id is {@code name} and a random suffix, for a test
   * to add to (map configs, MapStores, properties) before {@link #start(Config)}.
   */
  public static Config config(String name) {
    return configOfNode(name + "-" + UUID.randomUUID());
  }

  /** The member configuration of the node {@code nodeId}. */
  static Config configOfNode(String nodeId) {
    return HazelcastConfigFactory.create(BrokerConfig.of(Map.of("node.id", nodeId)));
  }

  /** A member started with {@code config}. */
  public static LocalMember start(Config config) {
    return new LocalMember(Hazelcast.newHazelcastInstance(config), null);
  }

  /** A member of a new node named {@code name} (and a random suffix), configured as a node's. */
  public static LocalMember start(String name) {
    return start(config(name));
  }

  /**
   * A member of a new node named {@code name} whose maps that outlive the cluster are stored in
   * {@code db} ({@link PersistentMaps}), as a node's with persistence: it loads what {@code db}
   * holds as it starts, and closing it writes what write-behind still holds once it has stopped.
   */
  public static LocalMember onDatabase(String name, StateDatabase db) {
    Config config = config(name);
    PersistentMaps maps = PersistentMaps.attach(config, db);
    try {
      return new LocalMember(Hazelcast.newHazelcastInstance(config), maps);
    } catch (RuntimeException | Error e) {
      maps.close();
      throw e;
    }
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  /** The member's map {@code name}. */
  public <K, V> IMap<K, V> map(String name) {
    return hazelcast.getMap(name);
  }

  @Override
  public void close() {
    try {
      hazelcast.shutdown();
    } finally {
      if (stores != null) {
        stores.close();
      }
    }
  }
}
