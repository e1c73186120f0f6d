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
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Persistent sessions' queues, one row per queued message ({@code mqttgrid_queue_messages}) and one
 * head row per queue ({@code mqttgrid_queue_heads}: owner, next sequence number, version). A change
 * of a queue writes only the rows it touched, in one transaction with a check of the head's
 * version: when the database does not hold the version the writer last wrote (another member wrote
 * the queue meanwhile, or the writer never did), the queue is written whole instead.
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
   * the queue is written whole ({@code all}). Otherwise, if the head still has {@code baseVersion},
   * only {@code deletes} (sequence numbers), {@code stateChanges} (seq, state, packet id; only
   * those three read) and {@code inserts} are written; if not, the queue is written whole. {@code
   * all} is asked for only then. {@code dropLegacy}: also delete the queue's pre-V4 row.
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
      boolean dropLegacy) {}

  /** How a {@link #write} went: statements' rows, for tests and measurements. */
  public record Outcome(int wholeQueues, int inserted, int updated, int deleted) {}

  /**
   * Writes the changes and deletes the queues of {@code removed}, all in one transaction.
   *
   * @return how many queues were written whole and message rows written
   */
  public Outcome write(Collection<Change> changes, Collection<String> removed) {
    if (changes.isEmpty() && removed.isEmpty()) {
      return new Outcome(0, 0, 0, 0);
    }
    db.checkWritable();
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try {
        Outcome out = write(c, changes, removed);
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

  private Outcome write(Connection c, Collection<Change> changes, Collection<String> removed)
      throws SQLException {
    List<Change> diffs = new ArrayList<>();
    List<Change> whole = new ArrayList<>();
    for (Change ch : changes) {
      (ch.baseVersion() == null ? whole : diffs).add(ch);
    }
    // the heads of the diffs, where the database holds what their writer knows
    if (!diffs.isEmpty()) {
      try (PreparedStatement st =
          c.prepareStatement(
              "UPDATE "
                  + HEADS
                  + " SET owner = ?, next_seq = ?, version = ? WHERE client_id = ? AND version = ?")) {
        for (Change ch : diffs) {
          st.setString(1, ch.owner());
          st.setLong(2, ch.nextSeq());
          st.setLong(3, ch.newVersion());
          st.setString(4, ch.clientId());
          st.setLong(5, ch.baseVersion());
          st.addBatch();
        }
        int[] counts = st.executeBatch();
        List<Change> applied = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
          (counts[i] == 0 ? whole : applied).add(diffs.get(i));
        }
        diffs = applied;
      }
    }
    List<String> emptied = new ArrayList<>(removed);
    whole.forEach(ch -> emptied.add(ch.clientId()));
    int deleted = deleteQueues(c, MESSAGES, emptied);
    deleteQueues(c, HEADS, removed);
    List<String> legacy = new ArrayList<>(removed);
    changes.stream().filter(Change::dropLegacy).forEach(ch -> legacy.add(ch.clientId()));
    deleteQueues(c, "mqttgrid_queues", legacy);

    int updated = 0;
    try (PreparedStatement del =
            c.prepareStatement("DELETE FROM " + MESSAGES + " WHERE client_id = ? AND seq = ?");
        PreparedStatement upd =
            c.prepareStatement(
                "UPDATE "
                    + MESSAGES
                    + " SET state = ?, packet_id = ? WHERE client_id = ? AND seq = ?")) {
      for (Change ch : diffs) {
        for (long seq : ch.deletes()) {
          del.setString(1, ch.clientId());
          del.setLong(2, seq);
          del.addBatch();
          deleted++;
        }
        for (Row r : ch.stateChanges()) {
          upd.setInt(1, r.state());
          upd.setInt(2, r.packetId());
          upd.setString(3, ch.clientId());
          upd.setLong(4, r.seq());
          upd.addBatch();
          updated++;
        }
      }
      del.executeBatch();
      upd.executeBatch();
    }
    if (!whole.isEmpty()) {
      try (PreparedStatement st = c.prepareStatement(upsertHead)) {
        for (Change ch : whole) {
          st.setString(1, ch.clientId());
          st.setString(2, ch.owner());
          st.setLong(3, ch.nextSeq());
          st.setLong(4, ch.newVersion());
          st.addBatch();
        }
        st.executeBatch();
      }
    }
    int inserted = 0;
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO "
                + MESSAGES
                + " (client_id, seq, state, packet_id, shared_group, subscription_ids, message)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (Change ch : diffs) {
        for (Row r : ch.inserts()) {
          bind(st, ch.clientId(), r);
          inserted++;
        }
      }
      for (Change ch : whole) {
        for (Row r : ch.all().get()) {
          bind(st, ch.clientId(), r);
          inserted++;
        }
      }
      if (inserted > 0) {
        st.executeBatch();
      }
    }
    return new Outcome(whole.size(), inserted, updated, deleted);
  }

  private static void bind(PreparedStatement st, String clientId, Row r) throws SQLException {
    st.setString(1, clientId);
    st.setLong(2, r.seq());
    st.setInt(3, r.state());
    st.setInt(4, r.packetId());
    st.setString(5, r.sharedGroup());
    if (r.subscriptionIds() == null) {
      st.setNull(6, Types.VARCHAR);
    } else {
      StringBuilder ids = new StringBuilder();
      for (int id : r.subscriptionIds()) {
        ids.append(ids.length() == 0 ? "" : ",").append(id);
      }
      st.setString(6, ids.toString());
    }
    st.setBytes(7, r.message());
    st.addBatch();
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

  /** Client ids of every stored queue. */
  public List<String> keys() {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement("SELECT client_id FROM " + HEADS);
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw failed("read", e);
    }
    return out;
  }

  /** Message rows of every queue. */
  public long countMessages() {
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM " + MESSAGES);
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
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
