package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many writes one persistent session costs the state database, counted by the database itself
 * (H2's statistics of the statements it ran, on the node's own embedded file): half of a persistent
 * connect's CPU is these writes (docs/performance.md, "Persistent sessions"), so a write that comes
 * back fails here. A session that connects (clean start 0, expiry 1 h), subscribes to one filter
 * and disconnects writes its record three times: at CONNECT, at SUBSCRIBE (its subscription), and
 * offline at the disconnect; its queue, empty, not at all. The same session reconnecting with the
 * same subscription writes its record at CONNECT and at the disconnect only.
 */
class PersistentConnectWritesIT {

  private static final String RECORDS = "mqttgrid_sessions";

  /**
   * The tables a session writes (the lease's heartbeat, every few seconds, writes another one). The
   * owners of session names are written behind and only for authenticated clients.
   */
  private static final java.util.Set<String> SESSION_TABLES =
      java.util.Set.of(
          RECORDS,
          "mqttgrid_queue_heads",
          "mqttgrid_queue_messages",
          "mqttgrid_queues",
          "mqttgrid_session_owners");

  @TempDir Path dir;

  @Test
  void aPersistentSessionWritesItsRecordAtConnectSubscribeAndDisconnectAndItsEmptyQueueNever()
      throws Exception {
    Path data = dir.resolve("data");
    try (TestBroker broker =
            TestBroker.start(
                Map.of(
                    "persistence.store",
                    "embedded",
                    "persistence.embedded.directory",
                    data.toString()));
        // the node's own database: an embedded H2 opened twice in one JVM is one database
        Connection db =
            DriverManager.getConnection(
                StateDatabase.embeddedUrl(TestDatabases.embedded(data)), "sa", "")) {
      try (Statement st = db.createStatement()) {
        st.execute("SET QUERY_STATISTICS_MAX_ENTRIES 1000");
        st.execute("SET QUERY_STATISTICS TRUE");
      }

      Map<String, Map<String, Long>> writes = new TreeMap<>();
      writes.put("1 new session", writesOf(broker, db, "device-1"));
      writes.put("2 the same session again", writesOf(broker, db, "device-1"));
      assertThat(writes)
          .as("writes to the session tables by table: connect, subscribe to one filter, disconnect")
          .isEqualTo(
              Map.of(
                  "1 new session", Map.of(RECORDS, 3L),
                  "2 the same session again", Map.of(RECORDS, 2L)));
    }
  }

  /**
   * Connects {@code clientId} with a persistent session, subscribes to one filter, disconnects;
   * answers the writes the database ran meanwhile, by table.
   */
  private static Map<String, Long> writesOf(TestBroker broker, Connection db, String clientId)
      throws Exception {
    Map<String, Long> before = statements(db);
    Mqtt5BlockingClient client = broker.v5(clientId);
    client.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
    client
        .subscribeWith()
        .topicFilter("devices/" + clientId + "/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send();
    client.disconnect();
    // the offline mark is written after the client has gone: wait until the database is quiet
    Map<String, Long>[] last = new Map[] {writes(before, statements(db))};
    long[] quietSince = {System.nanoTime()};
    Await.until(
        "the database quiet for a second after the disconnect",
        Duration.ofSeconds(30),
        () -> {
          Map<String, Long> now = writes(before, statements(db));
          if (!now.equals(last[0])) {
            last[0] = now;
            quietSince[0] = System.nanoTime();
          }
          return last[0].getOrDefault(RECORDS, 0L) > 0
              && System.nanoTime() - quietSince[0] > 1_000_000_000L;
        });

    return last[0];
  }

  /** Executions of each statement the database ran since statistics were switched on. */
  private static Map<String, Long> statements(Connection db) throws SQLException {
    Map<String, Long> out = new HashMap<>();
    try (PreparedStatement st =
            db.prepareStatement(
                "SELECT SQL_STATEMENT, EXECUTION_COUNT FROM INFORMATION_SCHEMA.QUERY_STATISTICS");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  /** The writes among the statements run between two readings, by the table they write. */
  private static Map<String, Long> writes(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> out = new TreeMap<>();
    after.forEach(
        (sql, count) -> {
          long n = count - before.getOrDefault(sql, 0L);
          String table = writtenTable(sql);
          if (n > 0 && table != null && SESSION_TABLES.contains(table)) {
            out.merge(table, n, Long::sum);
          }
        });
    return out;
  }

  /** The table a write statement changes, or null for a statement that writes nothing. */
  static String writtenTable(String sql) {
    String s = sql.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    String rest;
    if (s.startsWith("merge into ") || s.startsWith("insert into ")) {
      rest = s.substring(s.indexOf(" into ") + 6);
    } else if (s.startsWith("update ")) {
      rest = s.substring(7);
    } else if (s.startsWith("delete from ")) {
      rest = s.substring(12);
    } else {
      return null;
    }
    int end = rest.indexOf(' ');
    return end < 0 ? rest : rest.substring(0, end);
  }
}
