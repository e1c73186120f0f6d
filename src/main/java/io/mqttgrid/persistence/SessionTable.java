package io.mqttgrid.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Persistent sessions by client id, in the broker's binary form: the session records ({@link
 * #records}) and the sessions' queues ({@link #queues}), one row per session in each.
 */
public final class SessionTable extends KeyValueTable<byte[]> {

  private SessionTable(StateDatabase db, String table, String column) {
    super(db, table, "client_id", column);
  }

  /** Session records: expiry, will, subscriptions, owner, QoS 2 ids awaiting PUBREL. */
  public static SessionTable records(StateDatabase db) {
    return new SessionTable(db, "mqttgrid_sessions", "record");
  }

  /**
   * Session queues as stored before schema V4, one row per queue: read only to convert them to one
   * row per message ({@link QueueTable}).
   */
  public static SessionTable queues(StateDatabase db) {
    return new SessionTable(db, "mqttgrid_queues", "queue");
  }

  @Override
  protected void bind(PreparedStatement st, int first, byte[] value) throws SQLException {
    st.setBytes(first, value);
  }

  @Override
  protected byte[] read(ResultSet rs) throws SQLException {
    return rs.getBytes(2);
  }
}
