package io.mqttgrid.testing;

import io.mqttgrid.persistence.PersistenceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The state database settings tests open: an embedded H2 file in a directory of the test's, or a
 * new database on a {@link TestPostgres} server. What the tests vary is an argument; the rest is
 * theirs alike: 5 s to wait for a connection, a lease of 30 s, session queues written through.
 */
public final class TestDatabases {

  private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration LEASE_TIMEOUT = Duration.ofSeconds(30);

  /** Names each H2 file directory of {@link #eachKind} apart. */
  private static final AtomicInteger EMBEDDED_DIRS = new AtomicInteger();

  private TestDatabases() {}

  /** An embedded H2 file in {@code dir}, with a pool of 2 connections. */
  public static PersistenceSettings embedded(Path dir) {
    return embedded(dir, 2);
  }

  public static PersistenceSettings embedded(Path dir, int poolSize) {
    return embedded(dir, poolSize, LEASE_TIMEOUT, Duration.ZERO);
  }

  /** {@code sessionQueueWriteBehind}: how long a session queue's change may wait to be written. */
  public static PersistenceSettings embedded(Path dir, Duration sessionQueueWriteBehind) {
    return embedded(dir, 2, LEASE_TIMEOUT, sessionQueueWriteBehind);
  }

  private static PersistenceSettings embedded(
      Path dir, int poolSize, Duration leaseTimeout, Duration sessionQueueWriteBehind) {
    return new PersistenceSettings(
        PersistenceSettings.Kind.EMBEDDED,
        dir,
        "",
        "",
        "",
        poolSize,
        CONNECTION_TIMEOUT,
        leaseTimeout,
        sessionQueueWriteBehind,
        Duration.ZERO);
  }

  /** A new empty database on {@code postgres} (user {@code postgres}, no password). */
  private static PersistenceSettings postgres(
      TestPostgres postgres, int poolSize, Duration leaseTimeout) {
    return new PersistenceSettings(
        PersistenceSettings.Kind.POSTGRES,
        null,
        postgres.newDatabase(),
        "postgres",
        "",
        poolSize,
        CONNECTION_TIMEOUT,
        leaseTimeout);
  }

  /**
   * The arguments of a test that runs on both databases: each a supplier whose every call gives a
   * new empty database of its kind (an H2 file in a new directory under {@code dirs}; a database on
   * {@code postgres}), with a pool of 4.
   */
  public static Stream<Arguments> eachKind(
      Path dirs, TestPostgres postgres, Duration leaseTimeout) {
    Supplier<PersistenceSettings> embedded =
        () ->
            embedded(
                dirs.resolve("h2-" + EMBEDDED_DIRS.incrementAndGet()),
                4,
                leaseTimeout,
                Duration.ZERO);
    Supplier<PersistenceSettings> pg = () -> postgres(postgres, 4, leaseTimeout);
    return Stream.of(
        Arguments.of(Named.of("embedded H2", embedded)), Arguments.of(Named.of("PostgreSQL", pg)));
  }
}
