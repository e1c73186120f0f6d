package io.mqttgrid.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import io.mqttgrid.persistence.NamespaceTable;
import io.mqttgrid.persistence.QueueTable;
import io.mqttgrid.persistence.RetainedTable;
import io.mqttgrid.persistence.SessionTable;
import io.mqttgrid.persistence.StateDatabase;

/**
 * Puts the state database behind the maps whose state must outlive the whole cluster
 * (docs/persistence.md): the namespace model, the bridge's dataflow endpoints and dataflows made
 * through the management API and retained messages, write-through (a write completes once the
 * database holds it), session records and session queues, write-through or write-behind ({@code
 * persistence.session-record-write}, {@code persistence.session-queue-write}), routed events
 * waiting for a retry, write-through, and the owners of session names, write-behind; all loaded
 * EAGERly (the first node to start against an existing database holds the state before it reports
 * ready).
 */
public final class PersistentMaps implements AutoCloseable {

  /** The window of session-owner claims a crash of the whole cluster can lose. */
  static final int OWNERS_WRITE_DELAY_SECONDS = 1;

  private final SessionMapStore<?> recordStore;
  private final QueueMapStore queueStore;

  private PersistentMaps(SessionMapStore<?> recordStore, QueueMapStore queueStore) {
    this.recordStore = recordStore;
    this.queueStore = queueStore;
  }

  /**
   * Adds the stores to the member configuration, whatever else the file says about the maps. Close
   * the answer when the member has stopped: it writes what write-behind still holds.
   */
  public static PersistentMaps attach(Config config, StateDatabase db) {
    store(
        exactConfig(config, HazelcastRetainedStore.MAP),
        new RetainedMapStore(new RetainedTable(db)));
    store(
        exactConfig(config, HazelcastNamespaceEntries.MAP),
        new NamespaceMapStore(new NamespaceTable(db)));
    // the same kind of entries (key -> JSON), in a table of their own: the namespace map's initial
    // load reads every row of its table
    store(
        exactConfig(config, HazelcastNamespaceEntries.BRIDGE_MAP),
        new NamespaceMapStore(NamespaceTable.bridge(db)));
    // written behind: every authenticated connect of a new client id claims an owner and every
    // session's end removes it, which write-through would put on the connect path (and fail in an
    // outage). A whole-cluster crash loses the last write-delay's claims; a restored session whose
    // owner was lost can then be claimed by the first name that connects with its client id.
    // Values are immutable strings, so Hazelcast's own write-behind is safe here (see
    // QueueMapStore)
    MapConfig owners = exactConfig(config, HazelcastSessionOwnership.MAP);
    store(owners, new NamespaceMapStore(NamespaceTable.sessionOwners(db), false));
    owners
        .getMapStoreConfig()
        .setWriteDelaySeconds(OWNERS_WRITE_DELAY_SECONDS)
        .setWriteCoalescing(true);
    // write-through, off the publish path (a batch is kept after its first failed attempt, from a
    // routing thread, asynchronously); never read on a miss: the node that starts first takes over
    // every batch whose node is gone (HazelcastPendingEvents)
    store(
        exactConfig(config, HazelcastPendingEvents.MAP),
        new NamespaceMapStore(NamespaceTable.routingPending(db), false));
    SessionMapStore<?> records =
        new SessionMapStore<>(
            SessionTable.records(db),
            new SessionRecordSerializer(),
            db.settings().sessionRecordWriteBehind().toMillis());
    MapConfig sessions = exactConfig(config, HazelcastSessionStore.SESSIONS);
    store(sessions, records);
    if (records.writesBehind()) {
      // written behind, the store only serialises the record and keeps it (no JDBC): on the
      // partition thread that changed it, without a hand-over to a MapStore thread and back
      sessions.getMapStoreConfig().setOffload(false);
    }
    QueueMapStore queues =
        new QueueMapStore(
            new QueueTable(db),
            SessionTable.queues(db),
            db.settings().sessionQueueWriteBehind().toMillis());
    store(exactConfig(config, HazelcastSessionStore.QUEUES), queues);
    return new PersistentMaps(records, queues);
  }

  @Override
  public void close() {
    recordStore.close();
    queueStore.close();
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
