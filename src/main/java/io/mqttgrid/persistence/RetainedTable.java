package io.mqttgrid.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Retained messages by topic: the broker's serialized message and when it expires (epoch
 * milliseconds, 0 = never). An expired row is never read back: a message that expired while the
 * cluster was down stays gone.
 */
public final class RetainedTable extends KeyValueTable<RetainedTable.Row> {

  /** One retained message as stored. */
  public record Row(byte[] message, long expiresAtMillis) {}

  public RetainedTable(StateDatabase db) {
    super(db, "mqttgrid_retained", "topic", "message", "expires_at");
  }

  @Override
  protected void bind(PreparedStatement st, int first, Row value) throws SQLException {
    st.setBytes(first, value.message());
    st.setLong(first + 1, value.expiresAtMillis());
  }

  @Override
  protected Row read(ResultSet rs) throws SQLException {
    return new Row(rs.getBytes(2), rs.getLong(3));
  }

  @Override
  protected String liveCondition() {
    // the JVM's clock, as the broker's expiry checks use it; a constant, not a parameter, so that
    // every statement keeps its one shape of parameters
    return "(expires_at = 0 OR expires_at > " + System.currentTimeMillis() + ")";
  }
}
