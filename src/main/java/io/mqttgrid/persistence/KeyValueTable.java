package io.mqttgrid.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JDBC side shared by the persisted kinds: rows keyed by a text key, read and written one at a
 * time or in batches. A subclass says how its columns hold a value. Writes fail with {@link
 * PersistenceException} while the database is fenced (lease lost), and with it when JDBC fails, so
 * that the map write that asked for them fails too (write-through: nothing is acknowledged that the
 * database does not hold).
 *
 * @param <V> the value one row holds
 */
abstract class KeyValueTable<V> {

  /** Keys per {@code IN (...)} list: well below every driver's parameter limit. */
  private static final int CHUNK = 500;

  protected final StateDatabase db;
  private final String table;
  private final String key;
  private final String[] columns;
  private final String upsert;

  KeyValueTable(StateDatabase db, String table, String key, String... columns) {
    this.db = db;
    this.table = table;
    this.key = key;
    this.columns = columns;
    this.upsert = db.upsert(table, key, columns);
  }

  /** Sets the value's columns from parameter {@code first} on. */
  protected abstract void bind(PreparedStatement st, int first, V value) throws SQLException;

  /** Reads the value from the columns after the key (column 2 on). */
  protected abstract V read(ResultSet rs) throws SQLException;

  /** An extra condition rows must meet to be read (e.g. not expired), or empty. */
  protected String liveCondition() {
    return "";
  }

  public void put(String k, V value) {
    db.checkWritable();
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement(upsert)) {
      st.setString(1, k);
      bind(st, 2, value);
      st.executeUpdate();
      db.worked();
    } catch (SQLException e) {
      throw failed("write", e);
    }
  }

  /** Every entry in one transaction. */
  public void putAll(Map<String, V> entries) {
    if (entries.isEmpty()) {
      return;
    }
    db.checkWritable();
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try (PreparedStatement st = c.prepareStatement(upsert)) {
        for (Map.Entry<String, V> e : entries.entrySet()) {
          st.setString(1, e.getKey());
          bind(st, 2, e.getValue());
          st.addBatch();
        }
        st.executeBatch();
        c.commit();
        db.worked();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw failed("write", e);
    }
  }

  public void delete(String k) {
    deleteAll(List.of(k));
  }

  public void deleteAll(Collection<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    db.checkWritable();
    try (Connection c = db.connection()) {
      for (List<String> chunk : chunks(keys)) {
        try (PreparedStatement st =
            c.prepareStatement(
                "DELETE FROM " + table + " WHERE " + key + " IN (" + marks(chunk.size()) + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            st.setString(i + 1, chunk.get(i));
          }
          st.executeUpdate();
        }
      }
      db.worked();
    } catch (SQLException e) {
      throw failed("delete", e);
    }
  }

  /** The value of {@code k}, or null. */
  public V get(String k) {
    return getAll(List.of(k)).get(k);
  }

  public Map<String, V> getAll(Collection<String> keys) {
    Map<String, V> out = new LinkedHashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    try (Connection c = db.connection()) {
      for (List<String> chunk : chunks(keys)) {
        try (PreparedStatement st =
            c.prepareStatement(
                select() + " WHERE " + key + " IN (" + marks(chunk.size()) + ")" + and())) {
          for (int i = 0; i < chunk.size(); i++) {
            st.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.put(rs.getString(1), read(rs));
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

  /** Every key whose row is live. */
  public List<String> keys() {
    String where = liveCondition().isEmpty() ? "" : " WHERE " + liveCondition();
    try {
      return db.strings("SELECT " + key + " FROM " + table + where);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  /** Rows in the table, live or not. */
  public long count() {
    try {
      return db.count("SELECT COUNT(*) FROM " + table);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  private String select() {
    return "SELECT " + key + ", " + String.join(", ", columns) + " FROM " + table;
  }

  private String and() {
    return liveCondition().isEmpty() ? "" : " AND " + liveCondition();
  }

  private PersistenceException failed(String what, SQLException e) {
    db.failed(StateDatabase.rootMessage(e));
    return new PersistenceException(
        "state database " + what + " on " + table + " failed: " + StateDatabase.rootMessage(e), e);
  }

  private static String marks(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
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
