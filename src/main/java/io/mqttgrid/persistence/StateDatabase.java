package io.mqttgrid.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database behind the broker's persisted state: a HikariCP pool on PostgreSQL or on an embedded
 * H2 file, its schema brought up to date by Flyway at open. One schema serves both (H2 runs in its
 * PostgreSQL mode); the only statement that differs is the upsert ({@link #upsert}).
 *
 * <p>All calls block on JDBC: they are made from Hazelcast's MapStore threads and from the lease's
 * own thread, never from a Vert.x event loop.
 */
public final class StateDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StateDatabase.class);

  /** The embedded store's file name in its directory (H2 adds {@code .mv.db}). */
  public static final String EMBEDDED_FILE = "mqttgrid";

  private final PersistenceSettings settings;
  private final HikariDataSource pool;
  private volatile String fenced;
  private final java.util.concurrent.atomic.AtomicBoolean failing =
      new java.util.concurrent.atomic.AtomicBoolean();

  private StateDatabase(PersistenceSettings settings, HikariDataSource pool) {
    this.settings = settings;
    this.pool = pool;
  }

  /**
   * Opens the pool and migrates the schema; throws {@link PersistenceException} with a message for
   * the operator when the database cannot be reached, opened or migrated.
   */
  public static StateDatabase open(PersistenceSettings settings) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("mqttgrid-state");
    hikari.setMaximumPoolSize(settings.poolSize());
    hikari.setMinimumIdle(Math.min(2, settings.poolSize()));
    hikari.setConnectionTimeout(Math.max(250, settings.timeout().toMillis()));
    // the broker reaches no further than its first connection: an unreachable database fails the
    // start at once, with the driver's reason, instead of a pool that keeps trying in the
    // background
    hikari.setInitializationFailTimeout(Math.max(1, settings.timeout().toMillis()));
    hikari.setAutoCommit(true);
    if (settings.kind() == PersistenceSettings.Kind.EMBEDDED) {
      try {
        Files.createDirectories(settings.directory());
      } catch (IOException e) {
        throw new PersistenceException(
            "cannot create persistence.embedded.directory "
                + settings.directory().toAbsolutePath()
                + ": "
                + e.getMessage(),
            e);
      }
      hikari.setJdbcUrl(embeddedUrl(settings));
      hikari.setUsername("sa");
      hikari.setPassword("");
    } else {
      hikari.setJdbcUrl(settings.url());
      hikari.setUsername(settings.user());
      hikari.setPassword(settings.password());
    }
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hikari);
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "cannot open the state database (" + settings.describe() + "): " + rootMessage(e), e);
    }
    try {
      MigrateResult migrated =
          Flyway.configure()
              .dataSource(pool)
              .locations("classpath:db/mqttgrid")
              .table("mqttgrid_schema_history")
              // a database that already holds other tables (a shared PostgreSQL schema) is fine
              .baselineOnMigrate(true)
              .baselineVersion("0")
              .load()
              .migrate();
      if (migrated.migrationsExecuted > 0) {
        LOG.info(
            "state database schema migrated from version {} to {} ({})",
            migrated.initialSchemaVersion == null ? "none" : migrated.initialSchemaVersion,
            migrated.targetSchemaVersion,
            settings.describe());
      }
    } catch (FlywayException e) {
      pool.close();
      throw new PersistenceException(
          "cannot migrate the state database (" + settings.describe() + "): " + rootMessage(e), e);
    }
    return new StateDatabase(settings, pool);
  }

  /**
   * The embedded H2 file. PostgreSQL mode lets it share the PostgreSQL schema; WRITE_DELAY=0 makes
   * every commit reach the file before the write returns (H2's default batches commits for 500 ms,
   * which a kill -9 would lose).
   */
  static String embeddedUrl(PersistenceSettings settings) {
    // DB_CLOSE_ON_EXIT=FALSE: H2 would otherwise close the file in its own shutdown hook, before a
    // graceful stop (SIGTERM) has written what session-queue write-behind still holds; the broker
    // closes the pool itself once the node has stopped. CACHE_SIZE is in KiB.
    return "jdbc:h2:file:"
        + settings.directory().toAbsolutePath().resolve(EMBEDDED_FILE)
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0"
        + ";DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE="
        + settings.embeddedPageCacheMb() * 1024;
  }

  public DataSource dataSource() {
    return pool;
  }

  public Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /** The first column of every row {@code sql} selects, as text. */
  List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connection();
        PreparedStatement st = c.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The one number {@code sql} (a {@code SELECT COUNT(*)}) answers. */
  long count(String sql) throws SQLException {
    try (Connection c = connection();
        PreparedStatement st = c.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public PersistenceSettings settings() {
    return settings;
  }

  /**
   * Insert or replace one row by its key column: PostgreSQL's {@code ON CONFLICT DO UPDATE}, H2's
   * {@code MERGE ... KEY} (H2's PostgreSQL mode has no {@code ON CONFLICT DO UPDATE}, PostgreSQL 14
   * no {@code MERGE}).
   */
  String upsert(String table, String key, String... columns) {
    StringBuilder names = new StringBuilder(key);
    StringBuilder marks = new StringBuilder("?");
    StringBuilder updates = new StringBuilder();
    for (String c : columns) {
      names.append(", ").append(c);
      marks.append(", ?");
      updates.append(updates.length() == 0 ? "" : ", ").append(c).append(" = EXCLUDED.").append(c);
    }
    if (settings.kind() == PersistenceSettings.Kind.EMBEDDED) {
      return "MERGE INTO " + table + " (" + names + ") KEY (" + key + ") VALUES (" + marks + ")";
    }
    return "INSERT INTO "
        + table
        + " ("
        + names
        + ") VALUES ("
        + marks
        + ") ON CONFLICT ("
        + key
        + ") DO UPDATE SET "
        + updates;
  }

  /**
   * From now on every write fails with {@code reason}: this cluster no longer holds the lease, and
   * another cluster may be writing.
   */
  public void fence(String reason) {
    fenced = reason;
  }

  /** Why writes are refused, or null while they are allowed. */
  public String fencedReason() {
    return fenced;
  }

  /**
   * A statement failed: the first failure of an outage is logged (one line, for the operator), the
   * others only fail the writes that asked for them.
   */
  void failed(String reason) {
    if (failing.compareAndSet(false, true)) {
      LOG.warn(
          "state database failing ({}): {}; retained-message writes and namespace changes fail until"
              + " it answers again",
          settings.describe(),
          reason);
    }
  }

  /** A statement succeeded: the end of an outage is logged once. */
  void worked() {
    if (failing.compareAndSet(true, false)) {
      LOG.info("state database answering again ({})", settings.describe());
    }
  }

  /** False from a failed statement until the next one succeeds. */
  public boolean answering() {
    return !failing.get();
  }

  void checkWritable() {
    String reason = fenced;
    if (reason != null) {
      throw new PersistenceException(reason);
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
