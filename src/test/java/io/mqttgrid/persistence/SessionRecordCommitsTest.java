package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Await;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session records written by many threads at once (Hazelcast's map-store threads in a connect
 * storm) share their commits on the embedded H2 file, and each write still returns only once the
 * database holds its row. To make "at once" certain, a first write is held in its transaction by a
 * row lock another connection keeps; the writes that come meanwhile must wait for it and then
 * commit together, which H2 counts as writes to its file.
 */
class SessionRecordCommitsTest {

  private static final int WRITERS = 8;

  @TempDir Path dir;
  private StateDatabase db;
  private SessionTable records;

  @BeforeEach
  void open() {
    db =
        StateDatabase.open(
            new PersistenceSettings(
                PersistenceSettings.Kind.EMBEDDED,
                dir,
                "",
                "",
                "",
                WRITERS + 4,
                Duration.ofSeconds(5),
                Duration.ofSeconds(30)));
    records = SessionTable.records(db);
    records.put("held", new byte[] {0});
    // a write held behind the row lock waits for the test, not H2's default of a few seconds
    try (Connection c = db.connection();
        Statement st = c.createStatement()) {
      st.execute("SET DEFAULT_LOCK_TIMEOUT 60000");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    ((com.zaxxer.hikari.HikariDataSource) db.dataSource())
        .getHikariPoolMXBean()
        .softEvictConnections();
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void recordsWrittenAtOnceShareOneCommitAndEachReturnsOnceItsRowIsCommitted() throws Exception {
    Map<String, Throwable> failures = new ConcurrentHashMap<>();
    Map<String, Boolean> committedOnReturn = new ConcurrentHashMap<>();
    long fileWrites;
    List<Thread> writers = new ArrayList<>();
    try (Connection lock = db.connection()) {
      Thread first = holdBehindRowLock(lock, failures, committedOnReturn);
      long before = fileWrites();
      for (int i = 0; i < WRITERS; i++) {
        writers.add(write("device-" + i, failures, committedOnReturn));
      }
      // every writer has either returned or is waiting (for the held transaction, or for a
      // commit of its own under way)
      Await.until(
          "every writer returned or waiting",
          Duration.ofSeconds(30),
          () ->
              writers.stream()
                  .allMatch(
                      t ->
                          t.getState() == Thread.State.TERMINATED
                              || t.getState() == Thread.State.WAITING));
      lock.rollback();
      first.join();
      for (Thread t : writers) {
        t.join();
      }
      fileWrites = fileWrites() - before;
    }

    assertThat(failures).isEmpty();
    assertThat(committedOnReturn)
        .as("each writer's row, read by another connection when its write returned")
        .hasSize(WRITERS + 1)
        .allSatisfy((k, committed) -> assertThat(committed).as(k).isTrue());
    // one commit for the held write, one for the eight that came meanwhile (a commit is a chunk
    // written, plus now and then the file's header); a commit each would be nine chunks
    assertThat(fileWrites)
        .as("writes to the H2 file for %d record writes", WRITERS + 1)
        .isLessThanOrEqualTo(4);
  }

  @Test
  void writesThatCommitTogetherFailTogether() throws Exception {
    Map<String, Throwable> failures = new ConcurrentHashMap<>();
    Map<String, Boolean> committedOnReturn = new ConcurrentHashMap<>();
    List<Thread> writers = new ArrayList<>();
    try (Connection lock = db.connection()) {
      Thread first = holdBehindRowLock(lock, failures, committedOnReturn);
      for (int i = 0; i < 3; i++) {
        writers.add(write("device-" + i, failures, committedOnReturn));
      }
      Await.until(
          "the writers waiting for the held transaction",
          Duration.ofSeconds(30),
          () -> writers.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
      // the lease lost while they wait: the held write is already under way, theirs is not
      db.fence("lease lost (test)");
      lock.rollback();
      first.join();
      for (Thread t : writers) {
        t.join();
      }
    }
    assertThat(failures.keySet()).containsExactlyInAnyOrder("device-0", "device-1", "device-2");
    assertThat(failures.values())
        .allSatisfy(e -> assertThat(e).isInstanceOf(PersistenceException.class));
    assertThat(committedOnReturn).containsOnlyKeys("held");
    assertThat(records.keys()).containsExactly("held");
  }

  /**
   * Locks the row "held" in {@code lock}'s transaction, then starts a write of it, and answers once
   * that write waits for the lock inside its transaction.
   */
  private Thread holdBehindRowLock(
      Connection lock, Map<String, Throwable> failures, Map<String, Boolean> committedOnReturn)
      throws SQLException {
    lock.setAutoCommit(false);
    try (Statement st = lock.createStatement()) {
      st.executeQuery("SELECT record FROM mqttgrid_sessions WHERE client_id = 'held' FOR UPDATE")
          .close();
    }
    Thread first = write("held", failures, committedOnReturn);
    Await.until("the held write waiting for the row lock", Duration.ofSeconds(30), this::blocked);
    return first;
  }

  private Thread write(
      String clientId, Map<String, Throwable> failures, Map<String, Boolean> committedOnReturn) {
    CountDownLatch started = new CountDownLatch(1);
    Thread t =
        new Thread(
            () -> {
              started.countDown();
              try {
                records.put(clientId, new byte[] {1, 2, 3});
                committedOnReturn.put(clientId, readByAnotherConnection(clientId));
              } catch (RuntimeException e) {
                failures.put(clientId, e);
              }
            },
            "writer-" + clientId);
    t.start();
    try {
      started.await();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return t;
  }

  private boolean readByAnotherConnection(String clientId) {
    try (Connection c = db.connection();
        PreparedStatement st =
            c.prepareStatement("SELECT record FROM mqttgrid_sessions WHERE client_id = ?")) {
      st.setString(1, clientId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBytes(1).length == 3;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean blocked() {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL")) {
      rs.next();
      return rs.getLong(1) > 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes H2 made to its file so far (chunks of the store, and its header now and then). */
  private long fileWrites() throws SQLException {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'info.FILE_WRITE'")) {
      assertThat(rs.next()).as("H2 reports info.FILE_WRITE").isTrue();
      return Long.parseLong(rs.getString(1));
    }
  }
}
