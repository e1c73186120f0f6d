package io.mqttgrid.hazelcast;

import com.hazelcast.map.MapStore;
import io.mqttgrid.persistence.NamespaceTable;
import java.util.Collection;
import java.util.Map;

/**
 * The store of a map of text values: the namespace model's ({@code mqttgrid.namespace}), the
 * bridge's ({@code mqttgrid.bridge}) and the session owners' ({@code mqttgrid.session-owners}),
 * each with its own table, loaded whole when the cluster starts. Called on Hazelcast's own MapStore
 * threads (offloaded from the partition threads, its default), never on a Vert.x event loop, so the
 * blocking JDBC underneath is allowed here.
 */
final class NamespaceMapStore implements MapStore<String, String> {

  private final NamespaceTable table;
  private final boolean readThrough;

  /** A store that also reads a key memory does not hold from the database. */
  NamespaceMapStore(NamespaceTable table) {
    this(table, true);
  }

  /**
   * {@code readThrough} false: a key memory does not hold is absent, without asking the database
   * (everything was loaded at start). For a map whose every miss is an ordinary event, such as the
   * session owners' (each new client id), where a query per miss would cost a round trip and an
   * outage would fail it.
   */
  NamespaceMapStore(NamespaceTable table, boolean readThrough) {
    this.table = table;
    this.readThrough = readThrough;
  }

  @Override
  public void store(String key, String json) {
    StateDatabaseFailure.run(() -> table.put(key, json));
  }

  @Override
  public void storeAll(Map<String, String> entries) {
    StateDatabaseFailure.run(() -> table.putAll(entries));
  }

  @Override
  public void delete(String key) {
    StateDatabaseFailure.run(() -> table.delete(key));
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    StateDatabaseFailure.run(() -> table.deleteAll(keys));
  }

  @Override
  public String load(String key) {
    return readThrough ? StateDatabaseFailure.call(() -> table.get(key)) : null;
  }

  @Override
  public Map<String, String> loadAll(Collection<String> keys) {
    return StateDatabaseFailure.call(() -> table.getAll(keys));
  }

  @Override
  public Iterable<String> loadAllKeys() {
    return StateDatabaseFailure.call(table::keys);
  }
}
