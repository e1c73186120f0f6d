package io.mqttgrid.hazelcast;

import com.hazelcast.map.MapStore;
import io.mqttgrid.persistence.NamespaceTable;
import java.util.Collection;
import java.util.Map;

/**
 * The namespace model map's store ({@code mqttgrid.namespace}), and the bridge map's ({@code
 * mqttgrid.bridge}) with its own table: write-through, loaded whole when the cluster starts. Called
 * on Hazelcast's own MapStore threads (offloaded from the partition threads, its default), never on
 * a Vert.x event loop, so the blocking JDBC underneath is allowed here.
 */
final class NamespaceMapStore implements MapStore<String, String> {

  private final NamespaceTable table;

  NamespaceMapStore(NamespaceTable table) {
    this.table = table;
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
    return StateDatabaseFailure.call(() -> table.get(key));
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
