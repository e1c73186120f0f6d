package io.mqttgrid.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Text values by the broker's key (readable with any SQL client): the namespace model's resources
 * as JSON ({@link #NamespaceTable(StateDatabase)}), the bridge's made through the management API
 * ({@link #bridge}), the owners of session names ({@link #sessionOwners}) and routed events waiting
 * for a retry ({@link #routingPending}).
 */
public final class NamespaceTable extends KeyValueTable<String> {

  public NamespaceTable(StateDatabase db) {
    this(db, "mqttgrid_namespace");
  }

  private NamespaceTable(StateDatabase db, String table) {
    this(db, table, "resource_key", "json");
  }

  private NamespaceTable(StateDatabase db, String table, String key, String value) {
    super(db, table, key, value);
  }

  /** The bridge's dataflow endpoints and dataflows made through the management API. */
  public static NamespaceTable bridge(StateDatabase db) {
    return new NamespaceTable(db, "mqttgrid_bridge");
  }

  /** Routed events waiting for a retry, by node and batch id, as JSON. */
  public static NamespaceTable routingPending(StateDatabase db) {
    return new NamespaceTable(db, "mqttgrid_routing_pending", "batch_key", "json");
  }

  /** The authentication name that owns each session name (client id). */
  public static NamespaceTable sessionOwners(StateDatabase db) {
    return new NamespaceTable(db, "mqttgrid_session_owners", "client_id", "authentication_name");
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
