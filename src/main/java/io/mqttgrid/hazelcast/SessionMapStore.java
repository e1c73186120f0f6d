package io.mqttgrid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.nio.BufferObjectDataInput;
import com.hazelcast.internal.nio.BufferObjectDataOutput;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.map.MapLoaderLifecycleSupport;
import com.hazelcast.map.MapStore;
import com.hazelcast.nio.serialization.StreamSerializer;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import io.mqttgrid.persistence.PersistenceException;
import io.mqttgrid.persistence.SessionTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger LOG = LoggerFactory.getLogger(SessionMapStore.class);

  /** A record to delete, in the write-behind buffer. */
  private static final byte[] DELETED = new byte[0];

  private final SessionTable table;
  private final StreamSerializer<V> serializer;
  private final long writeBehindMillis;
  private volatile InternalSerializationService serialization;

  /** Write-behind: the newest serialised form of each changed record since the last batch. */
  private Map<String, byte[]> behind = new LinkedHashMap<>();

  private ScheduledExecutorService flusher;

  /** Written through. */
  SessionMapStore(SessionTable table, StreamSerializer<V> serializer) {
    this(table, serializer, 0);
  }

  /** {@code writeBehindMillis} 0: write-through. */
  SessionMapStore(SessionTable table, StreamSerializer<V> serializer, long writeBehindMillis) {
    this.table = table;
    this.serializer = serializer;
    this.writeBehindMillis = writeBehindMillis;
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
      synchronized (this) {
        flusher =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "mqttgrid-write-behind-" + mapName);
                  t.setDaemon(true);
                  return t;
                });
        flusher.scheduleWithFixedDelay(
            this::flushQuietly, writeBehindMillis, writeBehindMillis, TimeUnit.MILLISECONDS);
      }
    }
  }

  @Override
  public void destroy() {
    close();
  }

  /** Writes what the write-behind buffer holds and stops its thread; idempotent. */
  void close() {
    ScheduledExecutorService f;
    synchronized (this) {
      f = flusher;
      flusher = null;
    }
    if (f != null) {
      f.shutdown();
      try {
        f.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      flushQuietly();
    }
  }

  @Override
  public void store(String clientId, V value) {
    byte[] bytes = bytes(value);
    if (writesBehind()) {
      synchronized (this) {
        behind.put(clientId, bytes);
      }
      return;
    }
    StateDatabaseFailure.run(() -> table.put(clientId, bytes));
  }

  @Override
  public void storeAll(Map<String, V> entries) {
    Map<String, byte[]> rows = new HashMap<>();
    entries.forEach((k, v) -> rows.put(k, bytes(v)));
    if (writesBehind()) {
      synchronized (this) {
        behind.putAll(rows);
      }
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
      synchronized (this) {
        clientIds.forEach(k -> behind.put(k, DELETED));
      }
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
    byte[] pending;
    synchronized (this) {
      pending = behind.get(clientId);
    }
    return pending == null || pending == DELETED ? null : value(pending);
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

  /** Writes the write-behind buffer: the newest form of each changed record. */
  private void flushQuietly() {
    Map<String, byte[]> batch;
    synchronized (this) {
      if (behind.isEmpty()) {
        return;
      }
      batch = behind;
      behind = new LinkedHashMap<>();
    }
    Map<String, byte[]> puts = new LinkedHashMap<>();
    List<String> deletes = new ArrayList<>();
    batch.forEach(
        (k, v) -> {
          if (v == DELETED) {
            deletes.add(k);
          } else {
            puts.put(k, v);
          }
        });
    try {
      table.putAll(puts);
      table.deleteAll(deletes);
    } catch (PersistenceException e) {
      // the database said once that it fails; the records wait for the next batch, unless a newer
      // change of theirs came meanwhile
      requeue(batch);
      LOG.debug("session record write-behind deferred: {}", e.getMessage());
    } catch (RuntimeException e) {
      requeue(batch);
      LOG.warn("session record write-behind failed: {}", e.toString());
    }
  }

  private synchronized void requeue(Map<String, byte[]> batch) {
    batch.forEach(behind::putIfAbsent);
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
