package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5UnsubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestPostgres;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped while a node runs, then started again: a retained publish is refused (not
 * acknowledged) while the database is away, plain publishes keep flowing, and once it is back
 * retained publishes succeed again and everything acknowledged is in the database. The same for QoS
 * 1 publishes that only an offline persistent session matches: refused while its queue cannot be
 * written, acknowledged again once the database is back, and queued for the session. Model changes
 * and HTTP publishes that need the database are answered 503 with Retry-After.
 */
class DatabaseOutageIT {

  @TempDir Path dir;

  @Test
  void retainedPublishesAreRefusedWhileTheDatabaseIsAwayAndWorkWhenItIsBack() throws Exception {
    int port = TestBroker.freePort();
    Path pgData = dir.resolve("pg");
    TestPostgres postgres = TestPostgres.start(pgData, port);
    String url = postgres.url("postgres");
    Map<String, String> cfg = postgres.nodeSettings("management.token", PersistedState.TOKEN);
    try (TestBroker broker = TestBroker.start(cfg)) {
      Mqtt5BlockingClient subscriber = broker.v5("outage-sub");
      Inbox<Mqtt5Publish> inbox =
          Inbox.connectAndSubscribe(subscriber, "outage/#", MqttQos.AT_LEAST_ONCE);
      Mqtt5BlockingClient publisher = broker.v5("outage-pub");
      publisher.connect();
      retain(publisher, "outage/before", "1");

      assertThat(health(broker)).contains("\"status\":\"UP\"").contains("\"database\":\"ok\"");
      postgres.close();
      Mqtt5PubAckReasonCode refused = null;
      try {
        retain(publisher, "outage/during", "2");
      } catch (Mqtt5PubAckException e) {
        refused = e.getMqttMessage().getReasonCode();
      }
      assertThat(refused).isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
      // a model change is refused too
      HttpResponse<String> change =
          PersistedState.call(
              "127.0.0.1",
              broker.managementPort(),
              "PUT",
              PersistedState.ARM + "/clients/during-outage",
              "{\"properties\": {}}");
      assertThat(change.statusCode()).as(change.body()).isEqualTo(503);
      assertThat(change.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(new JsonObject(change.body()).getJsonObject("error").getString("code"))
          .isEqualTo("ServiceUnavailable");
      // and so is a bridge resource made through the API
      HttpResponse<String> endpoint =
          PersistedState.call(
              "127.0.0.1",
              broker.managementPort(),
              "PUT",
              "/instances/mqttgrid/dataflowEndpoints/during-outage",
              "{\"properties\": {\"endpointType\": \"Mqtt\", \"mqttSettings\": {\"host\":"
                  + " \"127.0.0.1:1\"}}}");
      assertThat(endpoint.statusCode()).as(endpoint.body()).isEqualTo(503);
      assertThat(endpoint.headers().firstValue("Retry-After")).hasValue("5");
      // not made in memory either: an existing resource is read from memory, the refused one is
      // not there (the node asks the database about a resource it does not hold, so 503 again)
      assertThat(
              PersistedState.call(
                      "127.0.0.1",
                      broker.managementPort(),
                      "GET",
                      PersistedState.ARM + "/clients/during-outage",
                      null)
                  .statusCode())
          .isIn(404, 503);
      // reported, and the node stays in service
      assertThat(health(broker)).contains("\"status\":\"UP\"").contains("\"database\":\"failing\"");
      // messages that are not retained need no database
      publisher
          .publishWith()
          .topic("outage/plain")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("3".getBytes(StandardCharsets.UTF_8))
          .send();

      postgres = TestPostgres.start(pgData, port);
      // the pool opens new connections with a growing back-off (HikariCP: up to 5 s apart), so the
      // first publishes after the database is back may still be refused: the device publishes again
      untilAccepted(
          "retained publishes refused after the database is back",
          () -> {
            try {
              retain(publisher, "outage/after", "4");
              return true;
            } catch (Mqtt5PubAckException e) {
              return false;
            }
          });
      // the refused publish may have reached the live subscriber already (the retained write and
      // the
      // delivery run side by side): at least once, as after any failure PUBACK the publisher
      // resends
      assertThat(health(broker)).contains("\"database\":\"ok\"");
      assertThat(inbox.until("outage/after"))
          .extracting(p -> p.getTopic().toString())
          .contains("outage/before", "outage/plain");
      subscriber.disconnect();
      publisher.disconnect();
    }
    try (StateDatabase db =
        StateDatabase.open(
            new PersistenceSettings(
                PersistenceSettings.Kind.POSTGRES,
                null,
                url,
                "postgres",
                "",
                2,
                java.time.Duration.ofSeconds(5),
                java.time.Duration.ofSeconds(30)))) {
      assertThat(new RetainedTable(db).keys())
          .containsExactlyInAnyOrder("outage/before", "outage/after");
      assertThat(new NamespaceTable(db).get("client/during-outage")).isNull();
    } finally {
      postgres.close();
    }
  }

  @Test
  void aPublishToAnOfflinePersistentSessionIsRefusedWhileTheDatabaseIsAway() throws Exception {
    int port = TestBroker.freePort();
    Path pgData = dir.resolve("pg-sessions");
    TestPostgres postgres = TestPostgres.start(pgData, port);
    Map<String, String> cfg = postgres.nodeSettings();
    try (TestBroker broker = TestBroker.start(cfg)) {
      Mqtt5BlockingClient keeper = broker.v5("outage-keeper");
      keeper.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
      keeper.subscribeWith().topicFilter("kept/#").qos(MqttQos.AT_LEAST_ONCE).send();
      keeper.disconnect();
      Mqtt5BlockingClient publisher = broker.v5("outage-session-pub");
      publisher.connect();
      publish(publisher, "kept/before", "1");

      postgres.close();
      Mqtt5PubAckReasonCode refused = null;
      try {
        publish(publisher, "kept/during", "2");
      } catch (Mqtt5PubAckException e) {
        refused = e.getMqttMessage().getReasonCode();
      }
      assertThat(refused)
          .as("a message only a persistent session matches, not written to the database")
          .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);

      postgres = TestPostgres.start(pgData, port);
      untilAccepted(
          "publishes to the session refused after the database is back",
          () -> {
            try {
              publish(publisher, "kept/after", "3");
              return true;
            } catch (Mqtt5PubAckException e) {
              return false;
            }
          });
      publisher.disconnect();
      Mqtt5BlockingClient back = broker.v5("outage-keeper");
      Inbox<Mqtt5Publish> inbox = Inbox.of(back);
      assertThat(
              back.connectWith()
                  .cleanStart(false)
                  .sessionExpiryInterval(3600)
                  .send()
                  .isSessionPresent())
          .isTrue();
      // the refused message may be there too: at least once, as after any failure PUBACK
      assertThat(inbox.until("kept/after"))
          .extracting(p -> p.getTopic().toString())
          .contains("kept/before");
      back.disconnect();
    } finally {
      postgres.close();
    }
  }

  @Test
  void anHttpPublishOfARetainedMessageIsAnswered503WhileTheDatabaseIsAway() throws Exception {
    int port = TestBroker.freePort();
    Path pgData = dir.resolve("pg-http");
    TestPostgres postgres = TestPostgres.start(pgData, port);
    TestTokens tokens = TestTokens.create();
    Map<String, String> cfg =
        postgres.nodeSettings("namespace.file", tokens.writeNamespace(dir).toString());
    try (TestBroker broker = TestBroker.start(cfg)) {
      assertThat(httpRetain(broker, tokens, "retained/before").statusCode()).isEqualTo(204);

      postgres.close();
      HttpResponse<String> during = httpRetain(broker, tokens, "retained/during");
      assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
      assertThat(during.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(new JsonObject(during.body()).getJsonObject("error").getString("code"))
          .isEqualTo("ServiceUnavailable");

      postgres = TestPostgres.start(pgData, port);
      // the caller repeats, as Retry-After says
      untilAccepted(
          "HTTP publishes refused after the database is back",
          () -> httpRetain(broker, tokens, "retained/after").statusCode() == 204);
    } finally {
      postgres.close();
    }
  }

  @Test
  void aNewPersistentSessionIsRefusedWhileTheDatabaseIsAwayAndAcceptedWhenItIsBack()
      throws Exception {
    int port = TestBroker.freePort();
    Path pgData = dir.resolve("pg-connects");
    TestPostgres postgres = TestPostgres.start(pgData, port);
    Map<String, String> cfg = postgres.nodeSettings();
    try (TestBroker broker = TestBroker.start(cfg)) {
      Mqtt5BlockingClient connected = broker.v5("outage-connected");
      connected.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
      connected.subscribeWith().topicFilter("first/#").qos(MqttQos.AT_LEAST_ONCE).send();

      postgres.close();
      // a new persistent session cannot be stored: its CONNECT is refused
      Mqtt5BlockingClient newcomer = broker.v5("outage-newcomer");
      Mqtt5ConnAckReasonCode refused = null;
      try {
        newcomer.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
      } catch (Mqtt5ConnAckException e) {
        refused = e.getMqttMessage().getReasonCode();
      }
      assertThat(refused).as("CONNACK while the database is away").isNotNull();
      assertThat(refused.isError()).isTrue();
      // nor can a persistent session's new subscription: refused, not granted and then lost
      List<Mqtt5SubAckReasonCode> subscribed;
      try {
        subscribed =
            connected
                .subscribeWith()
                .topicFilter("second/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .send()
                .getReasonCodes();
      } catch (Mqtt5SubAckException e) {
        subscribed = e.getMqttMessage().getReasonCodes();
      }
      assertThat(subscribed).containsExactly(Mqtt5SubAckReasonCode.UNSPECIFIED_ERROR);
      // and an UNSUBSCRIBE: refused, the stored subscription stays
      List<Mqtt5UnsubAckReasonCode> unsubscribed;
      try {
        unsubscribed = connected.unsubscribeWith().topicFilter("first/#").send().getReasonCodes();
      } catch (Mqtt5UnsubAckException e) {
        unsubscribed = e.getMqttMessage().getReasonCodes();
      }
      assertThat(unsubscribed).containsExactly(Mqtt5UnsubAckReasonCode.UNSPECIFIED_ERROR);
      // a clean session needs no database
      Mqtt5BlockingClient clean = broker.v5("outage-clean");
      assertThat(clean.connectWith().cleanStart(true).send().getReasonCode())
          .isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
      clean.disconnect();

      postgres = TestPostgres.start(pgData, port);
      // the pool reconnects with a growing back-off: the device connects again
      untilAccepted(
          "persistent connects refused after the database is back",
          () -> {
            try {
              newcomer.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
              return true;
            } catch (Mqtt5ConnAckException e) {
              return false;
            }
          });
      newcomer.disconnect();
      // the subscription refused during the outage is made now
      assertThat(
              connected
                  .subscribeWith()
                  .topicFilter("second/#")
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .send()
                  .getReasonCodes())
          .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
      // the refused UNSUBSCRIBE left the subscription in place: it is there to remove now
      assertThat(connected.unsubscribeWith().topicFilter("first/#").send().getReasonCodes())
          .containsExactly(Mqtt5UnsubAckReasonCode.SUCCESS);
      if (connected.getState().isConnected()) {
        connected.disconnect();
      }
    } finally {
      postgres.close();
    }
  }

  /** POST /mqtt/messages of a retained QoS 1 message, as a back end with a fresh token does. */
  private static HttpResponse<String> httpRetain(TestBroker broker, TestTokens tokens, String topic)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + broker.httpPort()
                            + "/mqtt/messages?api-version=2025-02-15-preview&topic="
                            + topic))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + tokens.freshToken("backend"))
                .header("mqtt-qos", "1")
                .header("mqtt-retain", "1")
                .POST(HttpRequest.BodyPublishers.ofString("kept"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Repeats {@code attempt} once a second until it is accepted, failing with {@code what} at the
   * tenth refusal: once the database is back the pool reconnects with a growing back-off (HikariCP:
   * up to 5 s apart), so the first requests may still be refused, and the client repeats them.
   */
  private static void untilAccepted(String what, Callable<Boolean> attempt) throws Exception {
    for (int attempts = 1; !attempt.call(); attempts++) {
      assertThat(attempts).as(what).isLessThan(10);
      Thread.sleep(1000);
    }
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }

  private static String health(TestBroker broker) throws Exception {
    return PersistedState.call("127.0.0.1", broker.httpPort(), "GET", "/health/ready", null).body();
  }

  private static void retain(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(payload.getBytes(StandardCharsets.UTF_8))
        .send();
  }
}
