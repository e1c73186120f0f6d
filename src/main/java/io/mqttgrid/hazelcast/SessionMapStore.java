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
 * the value in the broker's binary form (a format byte, then what the map's own serializer writes).
 * Loaded whole when the cluster starts (EAGER). The queues have a store of their own, one row per
 * message ({@link QueueMapStore}).
 *
 * <p>Write-through (the default): a change reaches the database before the map operation that made
 * it completes. Write-behind ({@code persistence.session-record-write: behind}): the change is
 * serialised at once, on the operation's own thread (entry processors change the live record in
 * place, so Hazelcast's own write-behind, which keeps a reference to it, would serialise it while
 * the next change runs), and kept, newest form per client id, a delete replacing what came before;
 * every {@code writeBehindMillis} what was kept goes to the database, and a graceful stop ({@link
 * #close}) writes what is left. A crash of the whole cluster loses the changes of the last window.
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
  private final long writeBehindMillis;
  private volatile InternalSerializationService serialization;

  /** Write-behind: the serialised form of each record changed since the last batch. */
  private final WriteBehindBatches<byte[]> behind;

  /** Written through. */
  SessionMapStore(SessionTable table, StreamSerializer<V> serializer) {
    this(table, serializer, 0);
  }

  /** {@code writeBehindMillis} 0: write-through. */
  SessionMapStore(SessionTable table, StreamSerializer<V> serializer, long writeBehindMillis) {
    this.table = table;
    this.serializer = serializer;
    this.writeBehindMillis = writeBehindMillis;
    this.behind =
        new WriteBehindBatches<>(
            "session record",
            // upserts and deletes: a batch written again after a failure half-way is the same
            (puts, deletes) -> {
              table.putAll(puts);
              table.deleteAll(deletes);
            });
  }

  /** Whether changes wait for a batch instead of reaching the database before they complete. */
  boolean writesBehind() {
    return writeBehindMillis > 0;
  }

  @Override
  public void init(HazelcastInstance hz, Properties properties, String mapName) {
    // the member's serialization service gives the buffers the map's serializers write into
    serialization =
        (InternalSerializationService) ((SerializationServiceSupport) hz).getSerializationService();
    if (writesBehind()) {
      behind.start(mapName, writeBehindMillis);
    }
  }

  @Override
  public void destroy() {
    close();
  }

  /** Writes what the write-behind batch holds and stops its thread; idempotent. */
  void close() {
    behind.close();
  }

  @Override
  public void store(String clientId, V value) {
    byte[] bytes = bytes(value);
    if (writesBehind()) {
      behind.put(clientId, bytes);
      return;
    }
    StateDatabaseFailure.run(() -> table.put(clientId, bytes));
  }

  @Override
  public void storeAll(Map<String, V> entries) {
    Map<String, byte[]> rows = new HashMap<>();
    entries.forEach((k, v) -> rows.put(k, bytes(v)));
    if (writesBehind()) {
      behind.putAll(rows);
      return;
    }
    StateDatabaseFailure.run(() -> table.putAll(rows));
  }

  @Override
  public void delete(String clientId) {
    deleteAll(List.of(clientId));
  }

  @Override
  public void deleteAll(Collection<String> clientIds) {
    if (writesBehind()) {
      behind.delete(clientIds);
      return;
    }
    StateDatabaseFailure.run(() -> table.deleteAll(clientIds));
  }

  /** Answers from the write-behind buffer only (the class comment says why not the database). */
  @Override
  public V load(String clientId) {
    if (!writesBehind()) {
      return null;
    }
    byte[] kept = behind.kept(clientId);
    return kept == null ? null : value(kept);
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
