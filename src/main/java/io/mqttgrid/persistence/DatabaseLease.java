package io.mqttgrid.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps two clusters from writing one state database: a single row names the cluster that writes it
 * and carries a heartbeat that every node of that cluster renews. A node of another cluster is
 * refused while the heartbeat is younger than the lease timeout; once it is older (that cluster is
 * gone) the lease passes over, with a warning. Ages are measured on the database's clock, so the
 * nodes' clocks need not agree.
 *
 * <p>A node that finds the row taken by another cluster when it renews (it could not renew for
 * longer than the timeout, and another cluster took over) fences the database: its writes fail from
 * then on.
 */
public final class DatabaseLease implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseLease.class);

  private final StateDatabase db;
  private final String clusterName;
  private final String nodeId;
  private final Duration timeout;
  private ScheduledExecutorService renewer;

  public DatabaseLease(StateDatabase db, String clusterName, String nodeId, Duration timeout) {
    this.db = db;
    this.clusterName = clusterName;
    this.nodeId = nodeId;
    this.timeout = timeout;
  }

  /**
   * Takes the lease for this cluster, or renews it when this cluster holds it already; throws
   * {@link PersistenceException} (a message for the operator) when another cluster holds it.
   */
  public void acquire() {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.connection()) {
        c.setAutoCommit(false);
        try {
          acquire(c);
          c.commit();
          return;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException e) {
        // two nodes inserting the first row at once: one of them meets the other's row
        if (attempt >= 3) {
          throw new PersistenceException(
              "cannot take the state database's lease: " + StateDatabase.rootMessage(e), e);
        }
      }
    }
  }

  private void acquire(Connection c) throws SQLException {
    try (PreparedStatement st =
            c.prepareStatement(
                "SELECT cluster_name, holder_node, heartbeat, CURRENT_TIMESTAMP"
                    + " FROM mqttgrid_lease WHERE id = 1 FOR UPDATE");
        ResultSet rs = st.executeQuery()) {
      if (!rs.next()) {
        try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO mqttgrid_lease (id, cluster_name, holder_node, acquired_at, heartbeat)"
                    + " VALUES (1, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")) {
          insert.setString(1, clusterName);
          insert.setString(2, nodeId);
          insert.executeUpdate();
        }
        return;
      }
      String holder = rs.getString(1);
      String holderNode = rs.getString(2);
      Duration age =
          Duration.between(
              rs.getObject(3, OffsetDateTime.class), rs.getObject(4, OffsetDateTime.class));
      if (holder.equals(clusterName)) {
        update(c, false);
        return;
      }
      if (age.compareTo(timeout) < 0) {
        throw new PersistenceException(
            "the state database ("
                + db.settings().describe()
                + ") is held by cluster '"
                + holder
                + "' (node "
                + holderNode
                + ", heartbeat "
                + Math.max(0, age.toSeconds())
                + " s ago), this node is of cluster '"
                + clusterName
                + "': two clusters must not write one database. Give this cluster its own database,"
                + " or stop cluster '"
                + holder
                + "' and start this one "
                + timeout.toSeconds()
                + " s later (persistence.lease-timeout)");
      }
      update(c, true);
      LOG.warn(
          "state database lease taken over from cluster '{}' (its last heartbeat {} s ago, node {})",
          holder,
          age.toSeconds(),
          holderNode);
    }
  }

  private void update(Connection c, boolean newHolder) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE mqttgrid_lease SET cluster_name = ?, holder_node = ?, heartbeat = CURRENT_TIMESTAMP"
                + (newHolder ? ", acquired_at = CURRENT_TIMESTAMP" : "")
                + " WHERE id = 1")) {
      st.setString(1, clusterName);
      st.setString(2, nodeId);
      st.executeUpdate();
    }
  }

  /**
   * Renews the heartbeat every third of the timeout, on a thread of its own (JDBC blocks), until
   * {@link #close}.
   */
  public synchronized void startRenewing() {
    if (renewer != null) {
      return;
    }
    renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mqttgrid-db-lease");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(100, timeout.toMillis() / 3);
    renewer.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
  }

  /** One renewal; false when this cluster no longer holds the lease (the database is fenced). */
  boolean renew() {
    if (db.fencedReason() != null) {
      return false;
    }
    try (Connection c = db.connection();
        PreparedStatement st =
            c.prepareStatement(
                "UPDATE mqttgrid_lease SET heartbeat = CURRENT_TIMESTAMP, holder_node = ?"
                    + " WHERE id = 1 AND cluster_name = ?")) {
      st.setString(1, nodeId);
      st.setString(2, clusterName);
      int updated = st.executeUpdate();
      db.worked();
      if (updated == 0) {
        String reason =
            "the state database's lease was taken by another cluster while this one could not"
                + " renew it: this node no longer writes "
                + db.settings().describe();
        db.fence(reason);
        LOG.error(reason);
        return false;
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      db.failed("cannot renew the lease: " + StateDatabase.rootMessage(e));
      return true;
    }
  }

  /** Stops renewing; the row stays (other nodes of the cluster may still be running). */
  @Override
  public synchronized void close() {
    if (renewer != null) {
      renewer.shutdownNow();
      renewer = null;
    }
  }
}
