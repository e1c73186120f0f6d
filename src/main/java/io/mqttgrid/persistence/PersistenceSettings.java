package io.mqttgrid.persistence;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where the broker keeps the state that must outlive the whole cluster (docs/persistence.md): an
 * embedded H2 file for a single node, or a PostgreSQL server for a cluster.
 *
 * @param kind which database
 * @param directory the embedded store's directory (its file is {@code mqttgrid.mv.db} in there)
 * @param url PostgreSQL JDBC URL, e.g. {@code jdbc:postgresql://db:5432/mqttgrid}
 * @param user PostgreSQL user
 * @param password PostgreSQL password (already read from its file when one was given)
 * @param poolSize connections per node
 * @param timeout how long a write may wait for a connection before it fails
 * @param leaseTimeout how long the lease of a cluster that stopped renewing it keeps others away
 * @param sessionQueueWriteBehind how long a change to a session queue may wait before it is written
 *     (write-behind); zero: written before the change completes (write-through)
 * @param sessionRecordWriteBehind the same for session records
 * @param embeddedPageCacheMb the embedded store's page cache, in MiB
 */
public record PersistenceSettings(
    Kind kind,
    Path directory,
    String url,
    String user,
    String password,
    int poolSize,
    Duration timeout,
    Duration leaseTimeout,
    Duration sessionQueueWriteBehind,
    Duration sessionRecordWriteBehind,
    int embeddedPageCacheMb) {

  /** The embedded store's page cache unless configured (why so small: config/mqttgrid.yaml). */
  public static final int DEFAULT_EMBEDDED_PAGE_CACHE_MB = 4;

  /** Settings with the default page cache for the embedded store. */
  public PersistenceSettings(
      Kind kind,
      Path directory,
      String url,
      String user,
      String password,
      int poolSize,
      Duration timeout,
      Duration leaseTimeout,
      Duration sessionQueueWriteBehind,
      Duration sessionRecordWriteBehind) {
    this(
        kind,
        directory,
        url,
        user,
        password,
        poolSize,
        timeout,
        leaseTimeout,
        sessionQueueWriteBehind,
        sessionRecordWriteBehind,
        DEFAULT_EMBEDDED_PAGE_CACHE_MB);
  }

  /** Settings with session queues and records written through. */
  public PersistenceSettings(
      Kind kind,
      Path directory,
      String url,
      String user,
      String password,
      int poolSize,
      Duration timeout,
      Duration leaseTimeout) {
    this(
        kind,
        directory,
        url,
        user,
        password,
        poolSize,
        timeout,
        leaseTimeout,
        Duration.ZERO,
        Duration.ZERO);
  }

  /** How session queues are written, for the start log. */
  public String sessionQueueWrite() {
    return writeMode(sessionQueueWriteBehind);
  }

  /** How session records are written, for the start log. */
  public String sessionRecordWrite() {
    return writeMode(sessionRecordWriteBehind);
  }

  private static String writeMode(Duration behind) {
    return behind.isZero() ? "write-through" : "write-behind " + behind.toMillis() + " ms";
  }

  /** The databases the broker can keep its state in. */
  public enum Kind {
    EMBEDDED,
    POSTGRES
  }

  /** Where the state goes, for the start log: never the password. */
  public String describe() {
    return kind == Kind.EMBEDDED
        ? "embedded H2 file in " + directory.toAbsolutePath()
        : "PostgreSQL " + url + (user.isBlank() ? "" : " as " + user);
  }

  @Override
  public String toString() {
    return describe();
  }
}
