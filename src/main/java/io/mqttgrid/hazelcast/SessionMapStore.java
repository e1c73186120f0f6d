package io.mqttgrid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.nio.BufferObjectDataInput;
import com.hazelcast.internal.nio.BufferObjectDataOutput;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.map.MapLoaderLifecycleSupport;
import com.hazelcast.map.MapStore;
import com.hazelcast.nio.serialization.StreamSerializer;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import io.mqttgrid.persistence.SessionTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The store behind the session records ({@code mqttgrid.sessions}): one row per client id holding
 * the value in the broker's binary form (a format byte, then what the map's own serializer writes),
 * written through (a change reaches the database before the map operation that made it completes).
 * Loaded whole when the cluster starts (EAGER). The queues have a store of their own, one row per
 * message ({@link QueueMapStore}).
 *
 * <p>A value memory lacks is not read from the database ({@link #load} answers null): every connect
 * of a new client would cost a query, and a database outage would stop them; while the cluster
 * runs, memory (with its backups) is the truth, the database what the next start of the whole
 * cluster finds.
 */
final class SessionMapStore<V> implements MapStore<String, V>, MapLoaderLifecycleSupport {

  /** The first byte of a stored value: the version of the form after it. */
  private static final byte FORMAT = 1;

  private final SessionTable table;
  private final StreamSerializer<V> serializer;
  private volatile InternalSerializationService serialization;

  SessionMapStore(SessionTable table, StreamSerializer<V> serializer) {
    this.table = table;
    this.serializer = serializer;
  }

  @Override
  public void init(HazelcastInstance hz, Properties properties, String mapName) {
    // the member's serialization service gives the buffers the map's serializers write into
    serialization =
        (InternalSerializationService) ((SerializationServiceSupport) hz).getSerializationService();
  }

  @Override
  public void destroy() {}

  @Override
  public void store(String clientId, V value) {
    byte[] bytes = bytes(value);
    StateDatabaseFailure.run(() -> table.put(clientId, bytes));
  }

  @Override
  public void storeAll(Map<String, V> entries) {
    Map<String, byte[]> rows = new HashMap<>();
    entries.forEach((k, v) -> rows.put(k, bytes(v)));
    StateDatabaseFailure.run(() -> table.putAll(rows));
  }

  @Override
  public void delete(String clientId) {
    deleteAll(List.of(clientId));
  }

  @Override
  public void deleteAll(Collection<String> clientIds) {
    StateDatabaseFailure.run(() -> table.deleteAll(clientIds));
  }

  @Override
  public V load(String clientId) {
    return null;
  }

  @Override
  public Map<String, V> loadAll(Collection<String> clientIds) {
    Map<String, V> out = new HashMap<>();
    StateDatabaseFailure.call(() -> table.getAll(clientIds))
        .forEach((k, bytes) -> out.put(k, value(bytes)));
    return out;
  }

  @Override
  public Iterable<String> loadAllKeys() {
    return StateDatabaseFailure.call(table::keys);
  }

  private byte[] bytes(V value) {
    BufferObjectDataOutput out = serialization.createObjectDataOutput();
    try {
      out.writeByte(FORMAT);
      serializer.write(out, value);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      closeQuietly(out);
    }
  }

  private V value(byte[] bytes) {
    BufferObjectDataInput in = serialization.createObjectDataInput(bytes);
    try {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalStateException("stored session in an unknown form " + format);
      }
      return serializer.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void closeQuietly(BufferObjectDataOutput c) {
    try {
      c.close();
    } catch (IOException e) {
      // a heap buffer: nothing to release
    }
  }
}
