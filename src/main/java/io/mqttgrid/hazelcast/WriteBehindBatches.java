package io.mqttgrid.hazelcast;

import io.mqttgrid.persistence.PersistenceException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes a store writes behind (session records, session queues): the newest value per key, a
 * delete replacing what came before it, written by one thread of their own once a window, and what
 * is left when the store closes. A batch the database refuses is kept for the next one, unless a
 * newer change of the same key came meanwhile. The broker's own, not Hazelcast's write-behind,
 * because the stores' values are changed in place by entry processors and Hazelcast's queue would
 * keep a reference to the live value: the stores hand in a serialised form or a copy, taken on the
 * operation's own thread.
 *
 * @param <V> the form a store keeps of a value until it is written
 */
final class WriteBehindBatches<V> {

  private static final Logger LOG = LoggerFactory.getLogger(WriteBehindBatches.class);

  /**
   * Writes one batch; a {@link PersistenceException} keeps it for the next, so a writer must be
   * safe to run again on a batch it wrote in part.
   */
  interface Writer<V> {
    void write(Map<String, V> puts, List<String> deletes);
  }

  /** A key to delete, in {@link #pending}. */
  private static final Object DELETED = new Object();

  private final String what;
  private final Writer<V> writer;
  private Map<String, Object> pending = new LinkedHashMap<>();
  private ScheduledExecutorService flusher;

  /**
   * @param what what is written, for the log ("session record")
   */
  WriteBehindBatches(String what, Writer<V> writer) {
    this.what = what;
    this.writer = writer;
  }

  /** Writes a batch every {@code windowMillis} on a thread named after the map, from now on. */
  synchronized void start(String mapName, long windowMillis) {
    flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mqttgrid-write-behind-" + mapName);
              t.setDaemon(true);
              return t;
            });
    flusher.scheduleWithFixedDelay(this::flush, windowMillis, windowMillis, TimeUnit.MILLISECONDS);
  }

  /** Writes what is kept and stops the thread; idempotent. */
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
      flush();
    }
  }

  synchronized void put(String key, V value) {
    pending.put(key, value);
  }

  synchronized void putAll(Map<String, V> values) {
    pending.putAll(values);
  }

  synchronized void delete(Collection<String> keys) {
    keys.forEach(k -> pending.put(k, DELETED));
  }

  /** The value kept for the key; null if none is, or its delete is. */
  @SuppressWarnings("unchecked")
  synchronized V kept(String key) {
    Object value = pending.get(key);
    return value == DELETED ? null : (V) value;
  }

  /** Writes what is kept: the newest value of each changed key. */
  @SuppressWarnings("unchecked")
  void flush() {
    Map<String, Object> batch;
    synchronized (this) {
      if (pending.isEmpty()) {
        return;
      }
      batch = pending;
      pending = new LinkedHashMap<>();
    }
    Map<String, V> puts = new LinkedHashMap<>();
    List<String> deletes = new ArrayList<>();
    batch.forEach(
        (k, v) -> {
          if (v == DELETED) {
            deletes.add(k);
          } else {
            puts.put(k, (V) v);
          }
        });
    try {
      writer.write(puts, deletes);
    } catch (PersistenceException e) {
      // the database said once that it fails (its outage is logged where it is noticed)
      keepForTheNext(batch);
      LOG.debug("{} write-behind deferred: {}", what, e.getMessage());
    } catch (RuntimeException e) {
      keepForTheNext(batch);
      LOG.warn("{} write-behind failed: {}", what, e.toString());
    }
  }

  private synchronized void keepForTheNext(Map<String, Object> batch) {
    batch.forEach(pending::putIfAbsent);
  }
}
