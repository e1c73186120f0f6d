package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import io.mqttgrid.hazelcast.HazelcastSessionStore;
import io.mqttgrid.session.SessionRecord;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.LogCapture;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A publisher that leaves while acknowledgements of its QoS 1 publishes still wait for their
 * messages to be stored (for a persistent subscriber): the acknowledgements that come due after the
 * connection ended are dropped quietly, with no stack trace in the log. vertx-mqtt ends the
 * endpoint at once on DISCONNECT; the connection hears of the socket's close a moment later.
 */
@WithBroker({"session.max-queued-messages=1000"})
class AckAfterDisconnectIT {

  static TestBroker broker;

  private static final int MESSAGES = 200;

  private static boolean offline(String clientId) {
    SessionRecord r =
        (SessionRecord)
            broker.broker().hazelcast().getMap(HazelcastSessionStore.SESSIONS).get(clientId);
    return r != null && !r.connected();
  }

  private static double publishedQos1() throws Exception {
    return TestBroker.metricValue(
        broker.scrapeMetrics(),
        "mqtt_successful_published_messages_total",
        "Protocol=\"MQTT5\",QoS=\"1\"");
  }

  /** The events whose exception, or one of its causes, says {@code text}. */
  private static List<String> eventsWith(List<ILoggingEvent> events, String text) {
    List<String> found = new ArrayList<>();
    for (ILoggingEvent e : events) {
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        if (String.valueOf(t.getMessage()).contains(text)) {
          found.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage());
          break;
        }
      }
    }
    return found;
  }

  @Test
  void acknowledgementsDueAfterThePublisherLeftAreDroppedQuietly() throws Exception {
    String subscriber = "ack-after-disconnect-sub";
    String topic = "ack-after-disconnect/t";
    try (RawMqttClient sub =
        RawMqttClient.connected(
            broker.mqttPort(), 5, new Connect(subscriber).cleanStart(true).sessionExpiry(3600))) {
      sub.subscribe(1, topic, 1);
      sub.expect(RawMqttClient.SUBACK);
      sub.disconnect();
    }
    Await.until(subscriber + " offline", Duration.ofSeconds(10), () -> offline(subscriber));
    double publishedBefore = publishedQos1();

    LogCapture log = new LogCapture();
    log.attach();
    try {
      // every publish waits for the subscriber's queue in the store; the DISCONNECT does not
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 0; i < MESSAGES; i++) {
        burst.writeBytes(
            Packets.publish(5, topic, ("m" + i).getBytes(StandardCharsets.UTF_8), 1, i + 1));
      }
      burst.writeBytes(Packets.disconnect());
      try (RawMqttClient publisher =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("ack-after-disconnect-pub"))) {
        publisher.send(burst.toByteArray());
        publisher.awaitClose(Duration.ofSeconds(10));
      }
      Await.until(
          "all " + MESSAGES + " publishes routed and stored",
          Duration.ofSeconds(20),
          () -> publishedQos1() - publishedBefore >= MESSAGES);
      // the acknowledgement of the last one is flushed right after it is counted
      Thread.sleep(200);

      assertThat(eventsWith(log.drain(), "Connection not accepted yet"))
          .as("acknowledgements to a connection that is gone")
          .isEmpty();
    } finally {
      log.detach();
    }
  }
}
