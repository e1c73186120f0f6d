package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryStore;
import io.mqttgrid.persistence.RetainedTable;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The retained-message map's store ({@code mqttgrid.retained}): each write goes to the database
 * before the map write completes (write-through), and the map is loaded from it when the cluster
 * starts. An {@link EntryStore} rather than a plain MapStore, so that a message's expiry (the map
 * entry's time-to-live) is stored and comes back with it.
 *
 * <p>Hazelcast calls these methods on its own MapStore threads (offloaded from the partition
 * threads, its default since 5.2), never on a Vert.x event loop, so the blocking JDBC underneath is
 * allowed here; a slow database delays the writes that wait for it, not the other maps.
 */
final class RetainedMapStore implements EntryStore<String, byte[]> {

  private final RetainedTable table;

  RetainedMapStore(RetainedTable table) {
    this.table = table;
  }

  @Override
  public void store(String topic, MetadataAwareValue<byte[]> value) {
    StateDatabaseFailure.run(() -> table.put(topic, row(value)));
  }

  @Override
  public void storeAll(Map<String, MetadataAwareValue<byte[]>> entries) {
    Map<String, RetainedTable.Row> rows = new HashMap<>();
    entries.forEach((k, v) -> rows.put(k, row(v)));
    StateDatabaseFailure.run(() -> table.putAll(rows));
  }

  @Override
  public void delete(String topic) {
    StateDatabaseFailure.run(() -> table.delete(topic));
  }

  @Override
  public void deleteAll(Collection<String> topics) {
    StateDatabaseFailure.run(() -> table.deleteAll(topics));
  }

  @Override
  public MetadataAwareValue<byte[]> load(String topic) {
    RetainedTable.Row row = StateDatabaseFailure.call(() -> table.get(topic));
    return row == null ? null : value(row);
  }

  @Override
  public Map<String, MetadataAwareValue<byte[]>> loadAll(Collection<String> topics) {
    Map<String, MetadataAwareValue<byte[]>> out = new HashMap<>();
    StateDatabaseFailure.call(() -> table.getAll(topics))
        .forEach((k, row) -> out.put(k, value(row)));
    return out;
  }

  @Override
  public Iterable<String> loadAllKeys() {
    return StateDatabaseFailure.call(table::keys);
  }

  private static RetainedTable.Row row(MetadataAwareValue<byte[]> value) {
    long expires = value.getExpirationTime();
    // no time-to-live: Hazelcast says "no time" or "never" (Long.MAX_VALUE)
    boolean never = expires == MetadataAwareValue.NO_TIME_SET || expires == Long.MAX_VALUE;
    return new RetainedTable.Row(value.getValue(), never ? 0 : expires);
  }

  private static MetadataAwareValue<byte[]> value(RetainedTable.Row row) {
    return row.expiresAtMillis() == 0
        ? new MetadataAwareValue<>(row.message())
        : new MetadataAwareValue<>(row.message(), row.expiresAtMillis());
  }
}
