package io.mqttgrid.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Persistent sessions' queues, one row per queued message ({@code mqttgrid_queue_messages}) and one
 * head row per queue ({@code mqttgrid_queue_heads}: owner and next sequence number as of the
 * queue's last write whole, version). A change of a queue writes only the rows it touched, in one
 * transaction with a check of the head's version: when the database does not hold the version the
 * writer last wrote (another member wrote the queue meanwhile, or the writer never did), the queue
 * is written whole instead.
 *
 * <p>The version is read once per queue and write, and the rows are then written by plain
 * statements, a run of consecutive acknowledged messages by one range DELETE: each statement
 * checking the version itself (an EXISTS subquery per row) cost an index lookup per message on the
 * persistent-session path, where a write is made before every batch of PUBACKs
 * (docs/performance.md).
 */
public final class QueueTable {

  /** Client ids per {@code IN (...)} list. */
  private static final int CHUNK = 500;

  private static final String HEADS = "mqttgrid_queue_heads";
  private static final String MESSAGES = "mqttgrid_queue_messages";

  private final StateDatabase db;
  private final String upsertHead;

  public QueueTable(StateDatabase db) {
    this.db = db;
    this.upsertHead = db.upsert(HEADS, "client_id", "owner", "next_seq", "version");
  }

  /** A queue's head row. */
  public record Head(String owner, long nextSeq, long version) {}

  /** One queued message. {@code subscriptionIds} may be null. */
  public record Row(
      long seq,
      int state,
      int packetId,
      String sharedGroup,
      int[] subscriptionIds,
      byte[] message) {}

  /** A queue as stored: its head and its messages in sequence order. */
  public record Stored(Head head, List<Row> rows) {}

  /**
   * One queue's change. {@code baseVersion} null: the writer does not know what the database holds,
   * the queue is written whole ({@code all}, {@code owner}, {@code nextSeq}, {@code newVersion}).
   * Otherwise {@code deletes} (sequence numbers), {@code stateChanges} (seq, state, packet id; only
   * those three read) and {@code inserts} are written, each statement only where the head row still
   * has {@code baseVersion}; when one of them finds no row to change (the head has another version:
   * another member wrote the queue since, and wrote it whole with a version of its own), the queue
   * is written whole instead. {@code all} is asked for only then. {@code dropLegacy}: also delete
   * the queue's pre-V4 row.
   */
  public record Change(
      String clientId,
      String owner,
      long nextSeq,
      long newVersion,
      Long baseVersion,
      List<Long> deletes,
      List<Row> stateChanges,
      List<Row> inserts,
      Supplier<List<Row>> all,
      boolean dropLegacy) {

    /** The statements a write of the difference runs (a run of deleted messages is one). */
    int statements() {
      return deleteRuns().size() + stateChanges.size() + inserts.size();
    }

    /** The sequence numbers of {@link #deletes} as runs of consecutive numbers, ascending. */
    List<long[]> deleteRuns() {
      long[] seqs = deletes.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
      List<long[]> runs = new ArrayList<>();
      for (int i = 0; i < seqs.length; ) {
        int j = i;
        while (j + 1 < seqs.length && seqs[j + 1] == seqs[j] + 1) {
          j++;
        }
        runs.add(new long[] {seqs[i], seqs[j]});
        i = j + 1;
      }
      return runs;
    }
  }

  /** How a {@link #write} went: the queues written whole (with their new version), rows written. */
  public record Outcome(Set<String> wholeQueues, int inserted, int updated, int deleted) {}

  /**
   * Writes the changes and deletes the queues of {@code removed}. A change of one queue that is one
   * statement (a message appended, a run of messages acknowledged, one sent) is committed on its
   * own; anything more is one transaction. On failure, what the caller knows of these queues may no
   * longer be what the database holds: it writes them whole next time.
   */
  public Outcome write(Collection<Change> changes, Collection<String> removed) {
    List<Change> work = new ArrayList<>();
    for (Change ch : changes) {
      if (ch.baseVersion() == null || ch.dropLegacy() || ch.statements() > 0) {
        work.add(ch);
      }
    }
    if (work.isEmpty() && removed.isEmpty()) {
      return new Outcome(Set.of(), 0, 0, 0);
    }
    db.checkWritable();
    try (Connection c = db.connection()) {
      if (removed.isEmpty()
          && work.size() == 1
          && work.get(0).baseVersion() != null
          && !work.get(0).dropLegacy()
          && work.get(0).statements() == 1) {
        // the common case, alone: no transaction of its own to open and commit (the version check
        // before it is a read)
        Outcome one = single(c, work.get(0));
        if (one != null) {
          db.worked();
          return one;
        }
      }
      c.setAutoCommit(false);
      try {
        Outcome out = write(c, work, removed);
        c.commit();
        db.worked();
        return out;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw failed("write", e);
    }
  }

  /**
   * One statement of one queue's change, committed at once; null when the head had another version
   * or the statement found no row (the caller then writes the queue whole).
   */
  private Outcome single(Connection c, Change ch) throws SQLException {
    List<Change> one = List.of(ch);
    if (!stale(c, one).isEmpty()) {
      return null;
    }
    Applied applied = apply(c, one);
    return applied.missed().isEmpty() ? applied.outcome() : null;
  }

  private Outcome write(Connection c, List<Change> changes, Collection<String> removed)
      throws SQLException {
    List<Change> diffs = new ArrayList<>();
    Map<String, Change> whole = new LinkedHashMap<>();
    for (Change ch : changes) {
      if (ch.baseVersion() == null) {
        whole.put(ch.clientId(), ch);
      } else {
        diffs.add(ch);
      }
    }
    int inserted = 0;
    int updated = 0;
    int deleted = 0;
    if (!diffs.isEmpty()) {
      Set<String> stale = stale(c, diffs);
      List<Change> fresh = new ArrayList<>();
      for (Change ch : diffs) {
        if (stale.contains(ch.clientId())) {
          whole.put(ch.clientId(), ch);
        } else {
          fresh.add(ch);
        }
      }
      Applied applied = apply(c, fresh);
      for (Change ch : fresh) {
        if (applied.missed().contains(ch.clientId())) {
          whole.put(ch.clientId(), ch);
        }
      }
      inserted += applied.outcome().inserted();
      updated += applied.outcome().updated();
      deleted += applied.outcome().deleted();
    }
    List<String> emptied = new ArrayList<>(removed);
    emptied.addAll(whole.keySet());
    deleted += deleteQueues(c, MESSAGES, emptied);
    deleteQueues(c, HEADS, removed);
    List<String> legacy = new ArrayList<>(removed);
    changes.stream().filter(Change::dropLegacy).forEach(ch -> legacy.add(ch.clientId()));
    deleteQueues(c, "mqttgrid_queues", legacy);
    if (!whole.isEmpty()) {
      try (PreparedStatement st = c.prepareStatement(upsertHead)) {
        for (Change ch : whole.values()) {
          st.setString(1, ch.clientId());
          st.setString(2, ch.owner());
          st.setLong(3, ch.nextSeq());
          st.setLong(4, ch.newVersion());
          st.addBatch();
        }
        st.executeBatch();
      }
      try (PreparedStatement st = c.prepareStatement(INSERT)) {
        int n = 0;
        for (Change ch : whole.values()) {
          for (Row r : ch.all().get()) {
            bind(st, 1, ch.clientId(), r);
            st.addBatch();
            n++;
          }
        }
        if (n > 0) {
          st.executeBatch();
        }
        inserted += n;
      }
    }
    return new Outcome(whole.keySet(), inserted, updated, deleted);
  }

  private static final String INSERT =
      "INSERT INTO "
          + MESSAGES
          + " (client_id, seq, state, packet_id, shared_group, subscription_ids, message)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?)";

  /** The queues whose head row does not have the version their change is based on (or none). */
  private static Set<String> stale(Connection c, List<Change> changes) throws SQLException {
    Set<String> out = new LinkedHashSet<>();
    try (PreparedStatement st =
        c.prepareStatement("SELECT version FROM " + HEADS + " WHERE client_id = ?")) {
      for (Change ch : changes) {
        st.setString(1, ch.clientId());
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next() || rs.getLong(1) != ch.baseVersion()) {
            out.add(ch.clientId());
          }
        }
      }
    }
    return out;
  }

  /** What {@link #apply} wrote, and the queues one of whose statements found no row. */
  private record Applied(Outcome outcome, Set<String> missed) {}

  /**
   * Writes the differences of queues whose head has the version they are based on: deleted runs,
   * changes of state, then the inserts of the queues none of whose statements missed.
   */
  private static Applied apply(Connection c, List<Change> changes) throws SQLException {
    Set<String> missed = new LinkedHashSet<>();
    missed.addAll(deletes(c, changes));
    missed.addAll(stateChanges(c, changes));
    List<Change> inserting = new ArrayList<>();
    for (Change ch : changes) {
      if (!missed.contains(ch.clientId())) {
        inserting.add(ch);
      }
    }
    inserts(c, inserting);
    int inserted = 0;
    int updated = 0;
    int deleted = 0;
    for (Change ch : changes) {
      if (!missed.contains(ch.clientId())) {
        inserted += ch.inserts().size();
        updated += ch.stateChanges().size();
        deleted += ch.deletes().size();
      }
    }
    return new Applied(new Outcome(Set.of(), inserted, updated, deleted), missed);
  }

  /**
   * The acknowledged messages, a run of consecutive sequence numbers (the usual shape: PUBACKs in
   * order) by one statement; answers the queues of which a row was not there.
   */
  private static Set<String> deletes(Connection c, List<Change> changes) throws SQLException {
    return batch(
        c,
        "DELETE FROM " + MESSAGES + " WHERE client_id = ? AND seq BETWEEN ? AND ?",
        changes,
        Change::deleteRuns,
        (st, ch, run) -> {
          st.setString(1, ch.clientId());
          st.setLong(2, run[0]);
          st.setLong(3, run[1]);
        },
        run -> (int) (run[1] - run[0] + 1));
  }

  private static Set<String> stateChanges(Connection c, List<Change> changes) throws SQLException {
    return batch(
        c,
        "UPDATE " + MESSAGES + " SET state = ?, packet_id = ? WHERE client_id = ? AND seq = ?",
        changes,
        Change::stateChanges,
        (st, ch, r) -> {
          st.setInt(1, r.state());
          st.setInt(2, r.packetId());
          st.setString(3, ch.clientId());
          st.setLong(4, r.seq());
        },
        r -> 1);
  }

  private static void inserts(Connection c, List<Change> changes) throws SQLException {
    batch(
        c, INSERT, changes, Change::inserts, (st, ch, r) -> bind(st, 1, ch.clientId(), r), r -> 1);
  }

  /** Binds one statement of a batch: its change and the item of the change it writes. */
  private interface Binder<T> {
    void bind(PreparedStatement st, Change change, T item) throws SQLException;
  }

  /**
   * Runs {@code sql} once for each item of each change ({@code items}: the rows, runs of sequence
   * numbers or head a change has for this statement), in one JDBC batch; prepares nothing when
   * there is none. Answers the queues of which a statement changed fewer rows than {@code expected}
   * of its item.
   */
  private static <T> Set<String> batch(
      Connection c,
      String sql,
      List<Change> changes,
      Function<Change, List<? extends T>> items,
      Binder<T> binder,
      ToIntFunction<T> expected)
      throws SQLException {
    List<Change> owners = new ArrayList<>();
    List<T> all = new ArrayList<>();
    for (Change ch : changes) {
      for (T item : items.apply(ch)) {
        owners.add(ch);
        all.add(item);
      }
    }
    Set<String> out = new LinkedHashSet<>();
    if (all.isEmpty()) {
      return out;
    }
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < all.size(); i++) {
        binder.bind(st, owners.get(i), all.get(i));
        st.addBatch();
      }
      int[] counts = all.size() == 1 ? new int[] {st.executeUpdate()} : st.executeBatch();
      for (int i = 0; i < counts.length; i++) {
        // SUCCESS_NO_INFO (-2): a driver that does not count; a count short of the rows the
        // statement names says one was not there
        if (counts[i] >= 0 && counts[i] < expected.applyAsInt(all.get(i))) {
          out.add(owners.get(i).clientId());
        }
      }
      return out;
    }
  }

  private static void bind(PreparedStatement st, int first, String clientId, Row r)
      throws SQLException {
    st.setString(first, clientId);
    st.setLong(first + 1, r.seq());
    st.setInt(first + 2, r.state());
    st.setInt(first + 3, r.packetId());
    st.setString(first + 4, r.sharedGroup());
    if (r.subscriptionIds() == null) {
      st.setNull(first + 5, Types.VARCHAR);
    } else {
      StringBuilder ids = new StringBuilder();
      for (int id : r.subscriptionIds()) {
        ids.append(ids.length() == 0 ? "" : ",").append(id);
      }
      st.setString(first + 5, ids.toString());
    }
    st.setBytes(first + 6, r.message());
  }

  private static int deleteQueues(Connection c, String table, Collection<String> clientIds)
      throws SQLException {
    int n = 0;
    for (List<String> chunk : chunks(clientIds)) {
      try (PreparedStatement st =
          c.prepareStatement(
              "DELETE FROM " + table + " WHERE client_id IN (" + marks(chunk.size()) + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          st.setString(i + 1, chunk.get(i));
        }
        n += st.executeUpdate();
      }
    }
    return n;
  }

  /** The stored queues of {@code clientIds} (those that have a head row). */
  public Map<String, Stored> getAll(Collection<String> clientIds) {
    Map<String, Head> heads = new LinkedHashMap<>();
    Map<String, List<Row>> rows = new LinkedHashMap<>();
    try (Connection c = db.connection()) {
      for (List<String> chunk : chunks(clientIds)) {
        String in = " WHERE client_id IN (" + marks(chunk.size()) + ")";
        try (PreparedStatement st =
            c.prepareStatement("SELECT client_id, owner, next_seq, version FROM " + HEADS + in)) {
          for (int i = 0; i < chunk.size(); i++) {
            st.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              heads.put(rs.getString(1), new Head(rs.getString(2), rs.getLong(3), rs.getLong(4)));
            }
          }
        }
        try (PreparedStatement st =
            c.prepareStatement(
                "SELECT client_id, seq, state, packet_id, shared_group, subscription_ids, message"
                    + " FROM "
                    + MESSAGES
                    + in
                    + " ORDER BY client_id, seq")) {
          for (int i = 0; i < chunk.size(); i++) {
            st.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              rows.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                  .add(
                      new Row(
                          rs.getLong(2),
                          rs.getInt(3),
                          rs.getInt(4),
                          rs.getString(5),
                          ids(rs.getString(6)),
                          rs.getBytes(7)));
            }
          }
        }
      }
      db.worked();
    } catch (SQLException e) {
      throw failed("read", e);
    }
    Map<String, Stored> out = new LinkedHashMap<>();
    heads.forEach(
        (k, head) -> out.put(k, new Stored(head, rows.getOrDefault(k, Collections.emptyList()))));
    return out;
  }

  /**
   * Those of {@code clientIds} whose queue the database holds (a head row, as {@link #getAll} reads
   * them back).
   */
  public Set<String> held(Collection<String> clientIds) {
    Set<String> out = new LinkedHashSet<>();
    try (Connection c = db.connection()) {
      for (List<String> chunk : chunks(clientIds)) {
        try (PreparedStatement st =
            c.prepareStatement(
                "SELECT client_id FROM "
                    + HEADS
                    + " WHERE client_id IN ("
                    + marks(chunk.size())
                    + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            st.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
        }
      }
      db.worked();
    } catch (SQLException e) {
      throw failed("read", e);
    }
    return out;
  }

  /** Client ids of every stored queue. */
  public List<String> keys() {
    try {
      return db.strings("SELECT client_id FROM " + HEADS);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  /** Message rows of every queue. */
  public long countMessages() {
    try {
      return db.count("SELECT COUNT(*) FROM " + MESSAGES);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  private static int[] ids(String text) {
    if (text == null) {
      return null;
    }
    if (text.isEmpty()) {
      return new int[0];
    }
    String[] parts = text.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i]);
    }
    return out;
  }

  private PersistenceException failed(String what, SQLException e) {
    db.failed(StateDatabase.rootMessage(e));
    return new PersistenceException(
        "state database " + what + " of session queues failed: " + StateDatabase.rootMessage(e), e);
  }

  private static String marks(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  private static List<List<String>> chunks(Collection<String> keys) {
    List<String> all = new ArrayList<>(keys);
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += CHUNK) {
      out.add(all.subList(i, Math.min(all.size(), i + CHUNK)));
    }
    return out;
  }
}
