package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestDatabases;
import io.mqttgrid.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code persistence.session-record-write}: written behind, a persistent session's CONNACK and
 * SUBACK come before the database holds its record, and a graceful stop writes it, so that the
 * session comes back with its subscriptions in the next start; written through (the default), the
 * record is in the database when the CONNACK comes. Written behind with the queues too, a new
 * persistent session connects and subscribes while the database is away, and its record reaches the
 * database once it is back.
 */
class SessionRecordWriteBehindIT {

  @TempDir Path dir;

  private Map<String, String> embedded(Path data, Map<String, String> more) {
    Map<String, String> cfg = new HashMap<>(more);
    cfg.put("persistence.store", "embedded");
    cfg.put("persistence.embedded.directory", data.toString());
    return cfg;
  }

  @Test
  void writtenBehindTheAcknowledgementsComeFirstAndAGracefulStopWritesTheRecord() throws Exception {
    Path data = dir.resolve("behind");
    Map<String, String> cfg =
        embedded(
            data,
            Map.of(
                "persistence.session-record-write",
                "behind",
                // longer than the test: only the stop writes the record
                "persistence.session-record-write-behind-ms",
                "60000"));
    try (TestBroker broker = TestBroker.start(cfg)) {
      Mqtt5BlockingClient device = broker.v5("device-1");
      assertThat(
              device
                  .connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(3600)
                  .send()
                  .isSessionPresent())
          .isFalse();
      device.subscribeWith().topicFilter("devices/1/#").qos(MqttQos.AT_LEAST_ONCE).send();
      assertThat(storedRecords(data)).as("after CONNACK and SUBACK, within the window").isEmpty();
      device.disconnect();
    }
    assertThat(storedRecords(data)).as("after a graceful stop").containsExactly("device-1");

    try (TestBroker broker = TestBroker.start(cfg)) {
      Mqtt5BlockingClient publisher = broker.v5("publisher");
      publisher.connectWith().cleanStart(true).send();
      publisher
          .publishWith()
          .topic("devices/1/temperature")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("21.5".getBytes(StandardCharsets.UTF_8))
          .send();
      publisher.disconnect();

      Mqtt5BlockingClient device = broker.v5("device-1");
      try (Mqtt5BlockingClient.Mqtt5Publishes received =
          device.publishes(MqttGlobalPublishFilter.ALL)) {
        assertThat(
                device
                    .connectWith()
                    .cleanStart(false)
                    .sessionExpiryInterval(3600)
                    .send()
                    .isSessionPresent())
            .as("Session Present after the restart")
            .isTrue();
        Optional<Mqtt5Publish> p = received.receive(15, TimeUnit.SECONDS);
        assertThat(p)
            .as("published after the restart to the subscription the stop wrote")
            .isPresent();
        assertThat(new String(p.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
            .isEqualTo("21.5");
      }
      device.disconnect();
    }
  }

  @Test
  void writtenThroughByDefaultTheRecordIsStoredWhenTheConnackComes() throws Exception {
    Path data = dir.resolve("through");
    try (TestBroker broker = TestBroker.start(embedded(data, Map.of()))) {
      Mqtt5BlockingClient device = broker.v5("device-2");
      device.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
      assertThat(storedRecords(data)).as("after CONNACK").containsExactly("device-2");
      device.disconnect();
    }
  }

  @Test
  void writtenBehindANewPersistentSessionConnectsWhileTheDatabaseIsAwayAndIsStoredAfter()
      throws Exception {
    int port = TestBroker.freePort();
    Path pgData = dir.resolve("pg");
    TestPostgres postgres = TestPostgres.start(pgData, port);
    Map<String, String> cfg =
        postgres.nodeSettings(
            "persistence.session-record-write",
            "behind",
            "persistence.session-record-write-behind-ms",
            "200",
            // a new session's queue claim reads the database when the queue is written through
            "persistence.session-queue-write",
            "behind");
    try (TestBroker broker = TestBroker.start(cfg)) {
      postgres.close();
      Mqtt5BlockingClient newcomer = broker.v5("outage-newcomer");
      assertThat(
              newcomer
                  .connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(3600)
                  .send()
                  .getReasonCode())
          .as("CONNACK while the database is away")
          .isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
      assertThat(
              newcomer
                  .subscribeWith()
                  .topicFilter("outage/#")
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .send()
                  .getReasonCodes())
          .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
      newcomer.disconnect();

      postgres = TestPostgres.start(pgData, port);
      String url = postgres.url("postgres");
      Await.until(
          "the record in the database once it is back",
          Duration.ofSeconds(60),
          () -> recordsOn(url).contains("outage-newcomer"));
    } finally {
      postgres.close();
    }
  }

  private static List<String> recordsOn(String url) {
    try (Connection db = DriverManager.getConnection(url, "postgres", "");
        PreparedStatement st = db.prepareStatement("SELECT client_id FROM mqttgrid_sessions");
        ResultSet rs = st.executeQuery()) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      // still starting
      return List.of();
    }
  }

  /** The client ids whose records the node's embedded database holds. */
  private static List<String> storedRecords(Path data) throws SQLException {
    // the node's own database: an embedded H2 opened twice in one JVM is one database
    try (Connection db =
            DriverManager.getConnection(
                StateDatabase.embeddedUrl(TestDatabases.embedded(data)), "sa", "");
        PreparedStatement st =
            db.prepareStatement("SELECT client_id FROM mqttgrid_sessions ORDER BY client_id");
        ResultSet rs = st.executeQuery()) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    }
  }
}
