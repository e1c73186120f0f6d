package io.mqttgrid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.mqttgrid.persistence.PersistenceSettings;
import io.mqttgrid.persistence.QueueTable;
import io.mqttgrid.persistence.SessionTable;
import io.mqttgrid.persistence.StateDatabase;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.testing.TestDatabases;
import io.mqttgrid.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The session-queue store on both databases (embedded H2 and a real PostgreSQL): a queue is stored
 * one row per message, each change writes only the rows it touched, and what is read back at the
 * next start is the queue as last written, also when two members wrote it in turn.
 */
class QueueMapStoreIT {

  private static TestPostgres postgres;
  @TempDir static Path dirs;

  @BeforeAll
  static void startPostgres() {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  static Stream<Arguments> databases() {
    return TestDatabases.eachKind(dirs, postgres, Duration.ofSeconds(30));
  }

  private static QueueMapStore store(StateDatabase db) {
    return new QueueMapStore(new QueueTable(db), SessionTable.queues(db), 0);
  }

  private static QueuedMessage message(String id, QueuedMessage.State state, int packetId) {
    return new QueuedMessage(
        new PublishedMessage(
            id, "q/" + id, new byte[] {1, 2}, 1, false, "pub", 1L, 0L, -1, null, null, null, null),
        new int[] {4, 9},
        null,
        state,
        packetId);
  }

  private static void append(SessionQueue q, String id) {
    q.append(message(id, QueuedMessage.State.QUEUED, 0), 1000, 1 << 20, "conn-1");
  }

  @ParameterizedTest
  @MethodSource("databases")
  void eachChangeWritesOnlyTheRowsItTouchedAndTheQueueComesBackAsLastWritten(
      Supplier<PersistenceSettings> kind) throws SQLException {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      QueueMapStore store = store(db);
      SessionQueue q = new SessionQueue();
      q.claim("conn-1");
      append(q, "m1");
      store.store("keeper", q);
      // a mark the store does not know of, on the row of m1: a write of the whole queue would
      // undo it, a write of the rows a change touched leaves it
      execute(db, "UPDATE mqttgrid_queue_messages SET packet_id = 777 WHERE seq = 1");
      append(q, "m2");
      store.store("keeper", q);
      append(q, "m3");
      store.store("keeper", q);
      q.markSent(2, 12);
      store.store("keeper", q);
      q.remove(3);
      store.store("keeper", q);
      append(q, "m4");
      store.store("keeper", q);
      assertThat(column(db, "SELECT packet_id FROM mqttgrid_queue_messages WHERE seq = 1"))
          .as("row 1 never written again")
          .isEqualTo(777);
      assertThat(column(db, "SELECT COUNT(*) FROM mqttgrid_queue_messages")).isEqualTo(3);
      execute(db, "UPDATE mqttgrid_queue_messages SET packet_id = 0 WHERE seq = 1");

      SessionQueue other = new SessionQueue();
      other.claim("conn-9");
      append(other, "x1");
      store.store("gone", other);
      store.delete("gone");
    }
    try (StateDatabase db = StateDatabase.open(settings)) {
      QueueMapStore next = store(db);
      assertThat(next.loadAllKeys()).containsExactly("keeper");
      SessionQueue back = next.loadAll(List.of("keeper", "gone")).get("keeper");
      assertThat(back.owner())
          .as("no owner read back: no connection outlives a start of the whole cluster")
          .isNull();
      assertThat(back.nextSeq()).isEqualTo(5);
      assertThat(back.snapshot())
          .extracting(
              QueuedMessage::seq,
              m -> m.message().id(),
              QueuedMessage::state,
              QueuedMessage::packetId,
              m -> m.subscriptionIds().length)
          .containsExactly(
              tuple(1L, "m1", QueuedMessage.State.QUEUED, 0, 2),
              tuple(2L, "m2", QueuedMessage.State.SENT, 12, 2),
              tuple(4L, "m4", QueuedMessage.State.QUEUED, 0, 2));
      assertThat(column(db, "SELECT COUNT(*) FROM mqttgrid_queue_heads")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aMemberWhoseKnowledgeIsStaleWritesTheQueueWhole(Supplier<PersistenceSettings> kind) {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      // the queue's partition moves from member a to b and back to a
      QueueMapStore a = store(db);
      QueueMapStore b = store(db);
      SessionQueue q = new SessionQueue();
      q.claim("conn-1");
      append(q, "m1");
      append(q, "m2");
      a.store("moving", q);
      q.remove(1);
      append(q, "m3");
      b.store("moving", q);
      q.markSent(2, 5);
      append(q, "m4");
      // a remembers m1 and m2 queued: a write of its difference alone would keep m1 and miss m3
      a.store("moving", q);
      // the queue emptied and numbered from 1 again: same sequence numbers, other messages
      SessionQueue first = new SessionQueue();
      first.claim("conn-1");
      append(first, "m1");
      a.store("again", first);
      SessionQueue emptied = new SessionQueue();
      emptied.claim("conn-1");
      append(emptied, "n1");
      a.store("again", emptied);

      Map<String, SessionQueue> back = store(db).loadAll(List.of("moving", "again"));
      assertThat(back.get("moving").snapshot())
          .extracting(m -> m.message().id(), QueuedMessage::state, QueuedMessage::packetId)
          .containsExactly(
              tuple("m2", QueuedMessage.State.SENT, 5),
              tuple("m3", QueuedMessage.State.QUEUED, 0),
              tuple("m4", QueuedMessage.State.QUEUED, 0));
      assertThat(back.get("again").snapshot())
          .extracting(m -> m.message().id())
          .containsExactly("n1");
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void acknowledgementsRemoveExactlyTheirRowsAndARowGoneMakesTheQueueWrittenWhole(
      Supplier<PersistenceSettings> kind) throws SQLException {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      QueueMapStore store = store(db);
      SessionQueue q = new SessionQueue();
      q.claim("conn-1");
      for (int i = 1; i <= 6; i++) {
        append(q, "m" + i);
      }
      store.store("acks", q);
      // runs of consecutive numbers are one statement each: [1, 2], [4], [6]; 3 and 5 stay
      q.remove(6);
      q.remove(2);
      q.remove(4);
      q.remove(1);
      store.store("acks", q);
      assertThat(seqs(db)).containsExactly(3L, 5L);

      append(q, "m7");
      append(q, "m8");
      store.store("acks", q);
      // marks the store does not know of: only a write of the whole queue undoes them
      execute(db, "UPDATE mqttgrid_queue_messages SET packet_id = 777 WHERE seq = 3");
      execute(db, "DELETE FROM mqttgrid_queue_messages WHERE seq = 7");
      // the run [7, 8] finds one of its two rows: what this store knows is not what is there
      q.remove(7);
      q.remove(8);
      store.store("acks", q);
      assertThat(seqs(db)).containsExactly(3L, 5L);
      assertThat(column(db, "SELECT packet_id FROM mqttgrid_queue_messages WHERE seq = 3"))
          .as("row 3 written again with the queue")
          .isZero();
    }
  }

  /**
   * A persistent connect claims its session's queue: a new session's queue, empty, is not written,
   * nor is a claim that changes only the owner; an empty queue the database still holds rows of is
   * written (its rows deleted) by a member that does not know it.
   */
  @ParameterizedTest
  @MethodSource("databases")
  void aClaimOfAnEmptyQueueWritesOnlyWhereTheDatabaseHoldsMessagesOfIt(
      Supplier<PersistenceSettings> kind) throws SQLException {
    PersistenceSettings settings = kind.get();
    try (StateDatabase db = StateDatabase.open(settings)) {
      QueueMapStore store = store(db);
      SessionQueue fresh = new SessionQueue();
      fresh.claim("conn-1");
      store.store("fresh", fresh);
      assertThat(column(db, "SELECT COUNT(*) FROM mqttgrid_queue_heads"))
          .as("a new session's empty queue")
          .isZero();
      append(fresh, "m1");
      store.store("fresh", fresh);
      fresh.remove(1);
      store.store("fresh", fresh);
      fresh.claim("conn-2");
      store.store("fresh", fresh);
      assertThat(column(db, "SELECT COUNT(*) FROM mqttgrid_queue_messages")).isZero();
      assertThat(text(db, "SELECT owner FROM mqttgrid_queue_heads WHERE client_id = 'fresh'"))
          .as("a claim that changes only the owner is not written")
          .isEqualTo("conn-1");

      SessionQueue kept = new SessionQueue();
      kept.claim("conn-1");
      append(kept, "k1");
      store.store("kept", kept);
      // another member (no memory of the queue) claims it emptied: its row must go
      SessionQueue emptied = new SessionQueue();
      emptied.claim("conn-3");
      store(db).store("kept", emptied);
      assertThat(column(db, "SELECT COUNT(*) FROM mqttgrid_queue_messages")).isZero();
      assertThat(store(db).loadAll(List.of("kept")).get("kept").snapshot()).isEmpty();
    }
  }

  private static String text(StateDatabase db, String sql) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static List<Long> seqs(StateDatabase db) throws SQLException {
    List<Long> out = new java.util.ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement st =
            c.prepareStatement("SELECT seq FROM mqttgrid_queue_messages ORDER BY seq");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  private static void execute(StateDatabase db, String sql) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.executeUpdate();
    }
  }

  private static long column(StateDatabase db, String sql) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement st = c.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
