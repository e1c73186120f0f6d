package io.mqttgrid.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import io.mqttgrid.persistence.NamespaceTable;
import io.mqttgrid.persistence.RetainedTable;
import io.mqttgrid.persistence.StateDatabase;

/**
 * Puts the state database behind the maps whose state must outlive the whole cluster
 * (docs/persistence.md): the namespace model and retained messages, both write-through (a write
 * completes once the database holds it) and loaded EAGERly (the first node to start against an
 * existing database holds the state before it reports ready).
 */
public final class PersistentMaps {

  private PersistentMaps() {}

  /** Adds the stores to the member configuration, whatever else the file says about the maps. */
  public static void attach(Config config, StateDatabase db) {
    store(
        exactConfig(config, HazelcastRetainedStore.MAP),
        new RetainedMapStore(new RetainedTable(db)));
    store(
        exactConfig(config, HazelcastNamespaceEntries.MAP),
        new NamespaceMapStore(new NamespaceTable(db)));
  }

  /**
   * The configuration of exactly this map: {@code getMapConfig} returns an operator's wildcard
   * configuration ({@code mqttgrid.*}) itself, and a store set there would sit behind every map it
   * matches. A map matched by a pattern (or by nothing) gets its own copy of what it matched.
   */
  static MapConfig exactConfig(Config config, String name) {
    MapConfig exact = config.getMapConfigs().get(name);
    if (exact == null) {
      exact = new MapConfig(config.findMapConfig(name)).setName(name);
      config.addMapConfig(exact);
    }
    return exact;
  }

  private static void store(MapConfig map, Object implementation) {
    map.setMapStoreConfig(
        new MapStoreConfig()
            .setEnabled(true)
            .setImplementation(implementation)
            .setWriteDelaySeconds(0)
            // the JDBC calls run on Hazelcast's MapStore threads, not its partition threads (its
            // default, said here because an unreachable database must not stall sessions and
            // queues)
            .setOffload(true)
            .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER));
  }
}
