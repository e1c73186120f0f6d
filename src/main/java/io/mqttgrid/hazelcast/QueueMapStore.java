package io.mqttgrid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.nio.BufferObjectDataInput;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.map.MapLoaderLifecycleSupport;
import com.hazelcast.map.MapStore;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import io.mqttgrid.persistence.QueueTable;
import io.mqttgrid.persistence.SessionTable;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store behind {@code mqttgrid.queues}: each session's queue as one row per queued message
 * ({@link QueueTable}). The map's value is the whole queue, changed in place by entry processors;
 * this store remembers, per queue, what it last wrote (each message's sequence number, id, state
 * and packet id: not the payloads), and writes only the difference: an appended message is one
 * INSERT, an acknowledged one a DELETE, one sent or released an UPDATE of its state, plus the
 * queue's head row, in one transaction. Writing the queue whole on each change (one row per queue)
 * made filling an offline queue of n messages cost n writes of a growing row.
 *
 * <p>What this member remembers may be stale: the partition may have lived on another member
 * meanwhile (a migration and back). A member that does not know the queue (after a start, a
 * migration, a failed write) writes it whole (DELETE of its rows, then INSERT of each) under a new
 * version in the head row; each statement of a difference applies only where the head still has the
 * version this member knows, and one that finds no row makes it write the queue whole.
 *
 * <p>The owner (the connection that claimed the queue last) is written only with the whole queue
 * and not read back: it fences live connections from each other, and none outlives the start of the
 * whole cluster that reads the database. So a persistent connect's claim writes nothing: a change
 * of the owner alone is no statement, and a new session's empty queue is written first with its
 * first message.
 *
 * <p>Write-through (the default): the change reaches the database before the map operation that
 * made it completes, so a QoS 1 message appended to an offline session's queue is in the database
 * before its publisher gets PUBACK. Write-behind ({@code persistence.session-queue-write: behind}):
 * the queue is copied at once, on the operation's own thread (the map changes the live object in
 * place: Hazelcast's own write-behind would read it while the next change runs), and every {@code
 * writeBehindMillis} the difference between the newest copy of each changed queue and what was last
 * written goes to the database in one transaction, so a crash of the whole cluster loses the
 * changes of that last window.
 *
 * <p>A value memory lacks is not read from the database ({@link #load} answers from the
 * write-behind buffer only), as for session records ({@link SessionMapStore}).
 *
 * <p>Queues stored before schema V4 (one row of {@code mqttgrid_queues} each, in the broker's
 * Hazelcast binary form, which SQL cannot read) are converted when loaded: written as rows and
 * deleted from the old table in one transaction.
 */
final class QueueMapStore implements MapStore<String, SessionQueue>, MapLoaderLifecycleSupport {

  private static final Logger LOG = LoggerFactory.getLogger(QueueMapStore.class);

  /** The first byte of a pre-V4 stored queue: the version of the form after it. */
  private static final byte LEGACY_FORMAT = 1;

  /** Write-through: changes of one queue are written one at a time (Hazelcast orders them too). */
  private static final int LOCKS = 64;

  private final QueueTable table;
  private final SessionTable legacy;
  private final long writeBehindMillis;
  private final Object[] locks = new Object[LOCKS];

  /** Per queue, what this member last wrote of it (or loaded). */
  private final Map<String, Written> written = new ConcurrentHashMap<>();

  /** Write-behind: a copy of each queue changed since the last batch. */
  private final WriteBehindBatches<SessionQueue> behind;

  private volatile InternalSerializationService serialization;

  /** {@code writeBehindMillis} 0: write-through. */
  QueueMapStore(QueueTable table, SessionTable legacy, long writeBehindMillis) {
    this.table = table;
    this.legacy = legacy;
    this.writeBehindMillis = writeBehindMillis;
    this.behind = new WriteBehindBatches<>("session queue", this::write);
    for (int i = 0; i < LOCKS; i++) {
      locks[i] = new Object();
    }
  }

  /** One stored message as this member last wrote it. */
  private record Mark(String messageId, int state, int packetId) {}

  /** One stored queue as this member last wrote it. */
  private record Written(long version, Map<Long, Mark> messages) {}

  @Override
  public void init(HazelcastInstance hz, Properties properties, String mapName) {
    serialization =
        (InternalSerializationService) ((SerializationServiceSupport) hz).getSerializationService();
    if (writeBehindMillis > 0) {
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
  public void store(String clientId, SessionQueue queue) {
    storeAll(Map.of(clientId, queue));
  }

  @Override
  public void storeAll(Map<String, SessionQueue> entries) {
    if (writeBehindMillis > 0) {
      Map<String, SessionQueue> copies = new HashMap<>();
      entries.forEach((k, q) -> copies.put(k, copy(q)));
      behind.putAll(copies);
      return;
    }
    if (entries.size() == 1) {
      Map.Entry<String, SessionQueue> e = entries.entrySet().iterator().next();
      synchronized (lock(e.getKey())) {
        StateDatabaseFailure.run(() -> write(entries, List.of()));
      }
      return;
    }
    // a batch (Hazelcast's storeAll, e.g. putAll): one transaction; the per-queue locks are not
    // needed for correctness (a stale memory of a queue only costs a whole write)
    StateDatabaseFailure.run(() -> write(entries, List.of()));
  }

  @Override
  public void delete(String clientId) {
    deleteAll(List.of(clientId));
  }

  @Override
  public void deleteAll(Collection<String> clientIds) {
    if (writeBehindMillis > 0) {
      behind.delete(clientIds);
      return;
    }
    StateDatabaseFailure.run(() -> write(Map.of(), clientIds));
  }

  @Override
  public SessionQueue load(String clientId) {
    SessionQueue kept = behind.kept(clientId);
    return kept == null ? null : copy(kept);
  }

  @Override
  public Map<String, SessionQueue> loadAll(Collection<String> clientIds) {
    Map<String, SessionQueue> out = new HashMap<>();
    Map<String, QueueTable.Stored> stored =
        StateDatabaseFailure.call(() -> table.getAll(clientIds));
    stored.forEach(
        (k, s) -> {
          List<QueuedMessage> messages = new ArrayList<>(s.rows().size());
          for (QueueTable.Row r : s.rows()) {
            messages.add(queued(r));
          }
          // the head's next number is written with the whole queue, not on every append
          long next = s.head().nextSeq();
          if (!messages.isEmpty()) {
            next = Math.max(next, messages.get(messages.size() - 1).seq() + 1);
          }
          // no owner: the owner fences live connections from each other, and none outlives the
          // start of the whole cluster that reads this; its restored session (whose record may
          // name a connection that claimed the queue without a write, see write) owns the queue
          // from its first append, a client that connects claims it
          SessionQueue q = SessionQueue.stored(null, next, messages);
          out.put(k, q);
          written.put(k, written(s.head().version(), q));
        });
    List<String> missing = new ArrayList<>();
    for (String k : clientIds) {
      if (!stored.containsKey(k)) {
        missing.add(k);
      }
    }
    if (!missing.isEmpty()) {
      Map<String, SessionQueue> converted = new HashMap<>();
      StateDatabaseFailure.call(() -> legacy.getAll(missing))
          .forEach((k, bytes) -> converted.put(k, legacyValue(bytes)));
      if (!converted.isEmpty()) {
        StateDatabaseFailure.run(() -> write(converted, List.of(), true));
        LOG.info(
            "session queues: {} converted from one row per queue to one row per message",
            converted.size());
        out.putAll(converted);
      }
    }
    return out;
  }

  @Override
  public Iterable<String> loadAllKeys() {
    Set<String> keys = new LinkedHashSet<>(StateDatabaseFailure.call(table::keys));
    keys.addAll(StateDatabaseFailure.call(legacy::keys));
    return keys;
  }

  private void write(Map<String, SessionQueue> queues, Collection<String> removed) {
    write(queues, removed, false);
  }

  /**
   * Writes the difference between each queue and what this member last wrote of it, and deletes the
   * queues of {@code removed}, in one transaction; then remembers what it wrote.
   */
  private void write(
      Map<String, SessionQueue> all, Collection<String> removed, boolean dropLegacy) {
    Map<String, SessionQueue> queues = withoutUnstoredEmpty(all, dropLegacy);
    if (queues.isEmpty() && removed.isEmpty()) {
      return;
    }
    List<QueueTable.Change> changes = new ArrayList<>(queues.size());
    Map<String, Written> after = new HashMap<>();
    queues.forEach(
        (clientId, q) -> {
          long version = ThreadLocalRandom.current().nextLong();
          Written before = written.get(clientId);
          Written now = written(version, q);
          after.put(clientId, now);
          List<Long> deletes = new ArrayList<>();
          List<QueueTable.Row> stateChanges = new ArrayList<>();
          List<QueueTable.Row> inserts = new ArrayList<>();
          if (before != null) {
            for (Long seq : before.messages().keySet()) {
              if (!now.messages().containsKey(seq)) {
                deletes.add(seq);
              }
            }
            for (QueuedMessage m : q.entries()) {
              Mark was = before.messages().get(m.seq());
              Mark is = now.messages().get(m.seq());
              if (was == null) {
                inserts.add(row(m));
              } else if (!was.messageId().equals(is.messageId())) {
                // the queue was emptied and its numbers given again
                deletes.add(m.seq());
                inserts.add(row(m));
              } else if (was.state() != is.state() || was.packetId() != is.packetId()) {
                stateChanges.add(stateOnly(m));
              }
            }
          }
          changes.add(
              new QueueTable.Change(
                  clientId,
                  q.owner(),
                  q.nextSeq(),
                  version,
                  before == null ? null : before.version(),
                  deletes,
                  stateChanges,
                  inserts,
                  () -> rows(q),
                  dropLegacy));
        });
    QueueTable.Outcome outcome;
    try {
      outcome = table.write(changes, removed);
    } catch (RuntimeException e) {
      // part of a change may have reached the database: these queues are written whole next time
      queues.keySet().forEach(written::remove);
      throw e;
    }
    after.forEach(
        (clientId, now) -> {
          Written before = written.get(clientId);
          // a queue written by its difference keeps the version its head has
          written.put(
              clientId,
              outcome.wholeQueues().contains(clientId) || before == null
                  ? now
                  : new Written(before.version(), now.messages()));
        });
    removed.forEach(written::remove);
  }

  private static Written written(long version, SessionQueue q) {
    Map<Long, Mark> marks = new HashMap<>();
    for (QueuedMessage m : q.entries()) {
      marks.put(m.seq(), new Mark(m.message().id(), m.state().ordinal(), m.packetId()));
    }
    return new Written(version, marks);
  }

  /**
   * {@code queues} without the empty ones that this member has not written and the database does
   * not hold: a new persistent session's queue claim (an empty queue with its owner) has nothing
   * for the database, and the first message of that queue writes it whole. An empty queue the
   * database may still hold rows of (this member has no memory of it: a start, a migration, a
   * failed write) is asked for, once for all of them; one it holds is written whole (its rows
   * deleted).
   */
  private Map<String, SessionQueue> withoutUnstoredEmpty(
      Map<String, SessionQueue> queues, boolean dropLegacy) {
    if (dropLegacy) {
      return queues;
    }
    List<String> unknownEmpty = new ArrayList<>();
    queues.forEach(
        (clientId, q) -> {
          if (q.entries().isEmpty() && !written.containsKey(clientId)) {
            unknownEmpty.add(clientId);
          }
        });
    if (unknownEmpty.isEmpty()) {
      return queues;
    }
    Set<String> held = table.held(unknownEmpty);
    Map<String, SessionQueue> out = new LinkedHashMap<>(queues);
    for (String clientId : unknownEmpty) {
      if (!held.contains(clientId)) {
        out.remove(clientId);
      }
    }
    return out;
  }

  private static List<QueueTable.Row> rows(SessionQueue q) {
    List<QueueTable.Row> out = new ArrayList<>(q.entries().size());
    for (QueuedMessage m : q.entries()) {
      out.add(row(m));
    }
    return out;
  }

  private static QueueTable.Row row(QueuedMessage m) {
    return new QueueTable.Row(
        m.seq(),
        m.state().ordinal(),
        m.packetId(),
        m.sharedGroup(),
        m.subscriptionIds(),
        m.message().toBytes());
  }

  private static QueueTable.Row stateOnly(QueuedMessage m) {
    return new QueueTable.Row(m.seq(), m.state().ordinal(), m.packetId(), null, null, null);
  }

  private static QueuedMessage queued(QueueTable.Row r) {
    return QueuedMessage.stored(
        r.seq(),
        PublishedMessage.fromBytes(r.message()),
        r.subscriptionIds(),
        r.sharedGroup(),
        QueuedMessage.State.values()[r.state()],
        r.packetId());
  }

  /** A copy that later changes of {@code q} do not reach (its messages are immutable). */
  private static SessionQueue copy(SessionQueue q) {
    return SessionQueue.stored(q.owner(), q.nextSeq(), q.snapshot());
  }

  private Object lock(String clientId) {
    return locks[Math.floorMod(clientId.hashCode(), LOCKS)];
  }

  private SessionQueue legacyValue(byte[] bytes) {
    BufferObjectDataInput in = serialization.createObjectDataInput(bytes);
    try {
      byte format = in.readByte();
      if (format != LEGACY_FORMAT) {
        throw new IllegalStateException("stored session queue in an unknown form " + format);
      }
      return new SessionQueueSerializer().read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
