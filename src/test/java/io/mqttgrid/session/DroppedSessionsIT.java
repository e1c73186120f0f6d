package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Event Grid's DroppedSessions reasons besides overflow (SlowSubscriberIT): a session with expiry 0
 * ends with its connection (TransientSession), a persistent one ends when it stayed offline for its
 * whole Session Expiry Interval (SessionExpiry).
 */
@WithBroker
class DroppedSessionsIT {

  static TestBroker broker;

  private static double dropped(String reason) throws Exception {
    return TestBroker.metricValue(
        broker.scrapeMetrics(), "mqtt_dropped_sessions_total", "DropReason=\"" + reason + "\"");
  }

  @Test
  void aTransientSessionEndingAndAPersistentOneExpiringAreCounted() throws Exception {
    double transientBefore = dropped("TransientSession");
    Mqtt5BlockingClient transientClient = broker.v5("dropped-transient");
    transientClient.connectWith().cleanStart(true).sessionExpiryInterval(0).send();
    transientClient.disconnect();
    Await.until(
        "TransientSession counted",
        Duration.ofSeconds(10),
        () -> dropped("TransientSession") == transientBefore + 1);

    double expiryBefore = dropped("SessionExpiry");
    Mqtt5BlockingClient persistent = broker.v5("dropped-expiring");
    persistent.connectWith().cleanStart(true).sessionExpiryInterval(1).send();
    persistent.disconnect();
    Await.until(
        "SessionExpiry counted",
        Duration.ofSeconds(10),
        () -> dropped("SessionExpiry") == expiryBefore + 1);
    assertThat(dropped("TransientSession"))
        .as("a persistent session ending is not transient")
        .isEqualTo(transientBefore + 1);
  }
}
