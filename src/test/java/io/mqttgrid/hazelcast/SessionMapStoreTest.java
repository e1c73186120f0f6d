package io.mqttgrid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import io.mqttgrid.persistence.PersistenceSettings;
import io.mqttgrid.persistence.QueueTable;
import io.mqttgrid.persistence.SessionTable;
import io.mqttgrid.persistence.StateDatabase;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionRecord;
import io.mqttgrid.testing.LocalMember;
import io.mqttgrid.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session records and queues written to the embedded store by one member come back, field by field,
 * in the next member started on the same database (the whole cluster stopped and started again);
 * with write-behind, a queue change reaches the database at the next batch, or when the store
 * closes.
 */
class SessionMapStoreTest {

  @TempDir Path dir;

  private PersistenceSettings settings(Duration writeBehind) {
    return TestDatabases.embedded(dir, writeBehind);
  }

  private static PublishedMessage message(String id, int qos) {
    return new PublishedMessage(
        id, "q/" + id, new byte[] {7, 8}, qos, false, "pub", 1L, 0L, -1, null, null, null, null);
  }

  @Test
  void aSessionWrittenThroughComesBackInTheNextMember() {
    SessionRecord record =
        new SessionRecord("keeper", 5, 3600, "n1", "conn-1")
            .subscriptions(List.of(new Subscription("q/#", 1, false, false, 0, 4)))
            .will(message("will", 1), 30)
            .awaitingRelease(Set.of(17))
            .offline(123_456L);
    SessionQueue queue = new SessionQueue();
    queue.append(
        new QueuedMessage(message("m1", 1), new int[] {4}, null, QueuedMessage.State.QUEUED, 0),
        100,
        1 << 20,
        "conn-1");
    queue.append(
        new QueuedMessage(message("m2", 2), new int[] {4}, null, QueuedMessage.State.SENT, 9),
        100,
        1 << 20,
        "conn-1");
    try (StateDatabase db = StateDatabase.open(settings(Duration.ZERO))) {
      try (LocalMember first = LocalMember.onDatabase("map-store", db)) {
        first.<String, SessionRecord>map(HazelcastSessionStore.SESSIONS).set("keeper", record);
        first.<String, SessionQueue>map(HazelcastSessionStore.QUEUES).set("keeper", queue);
        first.<String, SessionRecord>map(HazelcastSessionStore.SESSIONS).set("gone", record);
        first.map(HazelcastSessionStore.SESSIONS).delete("gone");
      }
      assertThat(SessionTable.records(db).keys()).containsExactly("keeper");

      try (LocalMember second = LocalMember.onDatabase("map-store", db)) {
        IMap<String, SessionRecord> sessions = second.map(HazelcastSessionStore.SESSIONS);
        SessionRecord back = sessions.get("keeper");
        assertThat(back.expirySeconds()).isEqualTo(3600);
        assertThat(back.connected()).isFalse();
        assertThat(back.disconnectedAtMillis()).isEqualTo(123_456L);
        assertThat(back.subscriptions()).extracting(Subscription::filter).containsExactly("q/#");
        assertThat(back.will().id()).isEqualTo("will");
        assertThat(back.willDelaySeconds()).isEqualTo(30);
        assertThat(back.awaitingRelease()).containsExactly(17);
        assertThat(sessions.containsKey("gone")).isFalse();

        SessionQueue q =
            second.<String, SessionQueue>map(HazelcastSessionStore.QUEUES).get("keeper");
        assertThat(q.owner())
            .as("no owner read back: no connection outlives a start of the whole cluster")
            .isNull();
        assertThat(q.nextSeq()).isEqualTo(3);
        assertThat(q.snapshot())
            .extracting(m -> m.message().id(), QueuedMessage::state, QueuedMessage::packetId)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple("m1", QueuedMessage.State.QUEUED, 0),
                org.assertj.core.groups.Tuple.tuple("m2", QueuedMessage.State.SENT, 9));
      }
    }
  }

  @Test
  void withWriteBehindAQueueChangeReachesTheDatabaseInTheNextBatchOrAtClose() {
    // a window far longer than the test: nothing is written before close()
    try (StateDatabase db = StateDatabase.open(settings(Duration.ofMinutes(10)))) {
      try (LocalMember member = LocalMember.onDatabase("map-store", db)) {
        // a message in it: an empty queue that the database never held is not written at all
        SessionQueue queue = new SessionQueue();
        queue.append(
            new QueuedMessage(message("m1", 1), new int[] {4}, null, QueuedMessage.State.QUEUED, 0),
            100,
            1 << 20,
            "conn-1");
        IMap<String, SessionQueue> queues = member.map(HazelcastSessionStore.QUEUES);
        queues.set("behind", queue);
        queues.set("dropped", queue);
        queues.delete("dropped");
        assertThat(new QueueTable(db).keys()).as("before the batch").isEmpty();
        // the record is always written through
        member
            .<String, SessionRecord>map(HazelcastSessionStore.SESSIONS)
            .set("behind", new SessionRecord("behind", 5, 60, "n1", "conn-1"));
        assertThat(SessionTable.records(db).keys()).containsExactly("behind");
      }
      assertThat(new QueueTable(db).keys()).as("after close").containsExactly("behind");
    }
  }

  /** Embedded settings with session records written behind every {@code window}. */
  private PersistenceSettings recordsBehind(Duration window) {
    PersistenceSettings s = settings(Duration.ZERO);
    return new PersistenceSettings(
        s.kind(),
        s.directory(),
        s.url(),
        s.user(),
        s.password(),
        s.poolSize(),
        s.timeout(),
        s.leaseTimeout(),
        Duration.ZERO,
        window);
  }

  @Test
  void withRecordWriteBehindTheNewestFormOfARecordReachesTheDatabaseAtCloseAndADeleteWins() {
    // a window far longer than the test: nothing is written before close()
    try (StateDatabase db = StateDatabase.open(recordsBehind(Duration.ofMinutes(10)))) {
      // one written before, by a member written through: deleted in the window, it must go
      SessionTable.records(db).put("earlier", new byte[] {1});
      try (LocalMember member = LocalMember.onDatabase("map-store", db)) {
        IMap<String, SessionRecord> sessions = member.map(HazelcastSessionStore.SESSIONS);
        sessions.set("keeper", new SessionRecord("keeper", 5, 3600, "n1", "conn-1"));
        // changed in place by entry processors after it was stored: the newest form is written
        sessions.submitToKey(
            "keeper",
            new SetRecordSubscriptions(
                "conn-1", List.of(new Subscription("q/#", 1, false, false, 0, 4))));
        sessions.submitToKey("keeper", new ChangeAwaitingRelease(17, true));
        sessions.submitToKey("keeper", new MarkRecordOffline("conn-1", 600, 123_456L));
        sessions.set("dropped", new SessionRecord("dropped", 5, 60, "n1", "conn-2"));
        sessions.delete("dropped");
        sessions.delete("earlier");
        assertThat(SessionTable.records(db).keys())
            .as("before the batch")
            .containsExactly("earlier");
        // memory is the truth meanwhile
        assertThat(sessions.get("keeper").subscriptions()).hasSize(1);
        assertThat(sessions.get("dropped")).isNull();
      }
      assertThat(SessionTable.records(db).keys()).as("after close").containsExactly("keeper");

      try (LocalMember second = LocalMember.onDatabase("map-store", db)) {
        SessionRecord back =
            second.<String, SessionRecord>map(HazelcastSessionStore.SESSIONS).get("keeper");
        assertThat(back.subscriptions()).extracting(Subscription::filter).containsExactly("q/#");
        assertThat(back.awaitingRelease()).containsExactly(17);
        assertThat(back.expirySeconds()).isEqualTo(600);
        assertThat(back.connected()).isFalse();
        assertThat(back.disconnectedAtMillis()).isEqualTo(123_456L);
      }
    }
  }

  @Test
  void withRecordWriteBehindABatchIsWrittenEveryWindowWithoutAClose() throws Exception {
    try (StateDatabase db = StateDatabase.open(recordsBehind(Duration.ofMillis(200)))) {
      try (LocalMember member = LocalMember.onDatabase("map-store", db)) {
        IMap<String, SessionRecord> sessions = member.map(HazelcastSessionStore.SESSIONS);
        sessions.set("keeper", new SessionRecord("keeper", 5, 3600, "n1", "conn-1"));
        io.mqttgrid.testing.Await.until(
            "the record in the database",
            Duration.ofSeconds(10),
            () -> SessionTable.records(db).keys().contains("keeper"));
        sessions.delete("keeper");
        io.mqttgrid.testing.Await.until(
            "the record deleted from the database",
            Duration.ofSeconds(10),
            () -> SessionTable.records(db).keys().isEmpty());
      }
    }
  }

  @Test
  void aQueueStoredBeforeSchemaV4AsOneRowIsConvertedToOneRowPerMessageAtLoad() throws Exception {
    try (StateDatabase db = StateDatabase.open(settings(Duration.ZERO))) {
      SessionQueue queue = new SessionQueue();
      queue.append(
          new QueuedMessage(message("m1", 1), new int[] {4}, "g", QueuedMessage.State.SENT, 3),
          100,
          1 << 20,
          "conn-1");
      queue.append(
          new QueuedMessage(message("m2", 1), null, null, QueuedMessage.State.QUEUED, 0),
          100,
          1 << 20,
          "conn-1");
      // the row as the broker wrote it before V4: a format byte, then the queue's serializer
      try (LocalMember writer = LocalMember.start("map-store")) {
        com.hazelcast.internal.nio.BufferObjectDataOutput out =
            ((com.hazelcast.internal.serialization.InternalSerializationService)
                    ((com.hazelcast.spi.impl.SerializationServiceSupport) writer.hazelcast())
                        .getSerializationService())
                .createObjectDataOutput();
        out.writeByte(1);
        new SessionQueueSerializer().write(out, queue);
        SessionTable.queues(db).put("old", out.toByteArray());
      }

      try (LocalMember member = LocalMember.onDatabase("map-store", db)) {
        SessionQueue back =
            member.<String, SessionQueue>map(HazelcastSessionStore.QUEUES).get("old");
        assertThat(back.owner()).isEqualTo("conn-1");
        assertThat(back.nextSeq()).isEqualTo(3);
        assertThat(back.snapshot())
            .extracting(
                m -> m.message().id(),
                QueuedMessage::state,
                QueuedMessage::packetId,
                QueuedMessage::sharedGroup)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple("m1", QueuedMessage.State.SENT, 3, "g"),
                org.assertj.core.groups.Tuple.tuple("m2", QueuedMessage.State.QUEUED, 0, null));
        assertThat(SessionTable.queues(db).keys()).as("old table").isEmpty();
        assertThat(new QueueTable(db).keys()).containsExactly("old");
        assertThat(new QueueTable(db).countMessages()).isEqualTo(2);
      }
    }
  }
}
