package io.mqttgrid.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Resources by the broker's key, as JSON text (readable with any SQL client): the namespace model's
 * ({@link #NamespaceTable(StateDatabase)}) and the bridge's made through the management API ({@link
 * #bridge}).
 */
public final class NamespaceTable extends KeyValueTable<String> {

  public NamespaceTable(StateDatabase db) {
    this(db, "mqttgrid_namespace");
  }

  private NamespaceTable(StateDatabase db, String table) {
    super(db, table, "resource_key", "json");
  }

  /** The bridge's dataflow endpoints and dataflows made through the management API. */
  public static NamespaceTable bridge(StateDatabase db) {
    return new NamespaceTable(db, "mqttgrid_bridge");
  }

  @Override
  protected void bind(PreparedStatement st, int first, String value) throws SQLException {
    st.setString(first, value);
  }

  @Override
  protected String read(ResultSet rs) throws SQLException {
    return rs.getString(2);
  }
}
