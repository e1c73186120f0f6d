package io.mqttgrid.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Namespace model resources by the broker's key, as JSON text (readable with any SQL client). */
public final class NamespaceTable extends KeyValueTable<String> {

  public NamespaceTable(StateDatabase db) {
    super(db, "mqttgrid_namespace", "resource_key", "json");
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
