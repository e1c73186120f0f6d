package io.mqttgrid.mqtt;

import static io.mqttgrid.testing.RawMqttClient.CLOSED;
import static io.mqttgrid.testing.RawMqttClient.CONNACK;
import static io.mqttgrid.testing.RawMqttClient.DISCONNECT;
import static io.mqttgrid.testing.RawMqttClient.PROP_SERVER_REFERENCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.TestBroker;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A graceful stop tells MQTT 5 clients why (DISCONNECT 0x8B) and, when configured, where to go. */
class ShutdownIT {

  private static List<Packet> untilClosed(RawMqttClient c) throws InterruptedException {
    List<Packet> got = new ArrayList<>();
    Packet p;
    while ((p = c.poll(Duration.ofSeconds(20))) != null) {
      got.add(p);
      if (p.type() == CLOSED) {
        return got;
      }
    }
    throw new AssertionError("connection not closed; got " + got);
  }

  @Test
  void gracefulStopSendsServerShuttingDownWithServerReference() throws Exception {
    TestBroker broker =
        TestBroker.start(Map.of("shutdown.server-reference", "other.example.com:1883"));
    try (RawMqttClient v5 = RawMqttClient.open(broker.mqttPort(), 5);
        RawMqttClient persistent = RawMqttClient.open(broker.mqttPort(), 5);
        RawMqttClient v3 = RawMqttClient.open(broker.mqttPort(), 4)) {
      v5.connect(new Connect("shutdown-v5"));
      persistent.connect(new Connect("shutdown-v5-persistent").sessionExpiry(300));
      v3.connect(new Connect("shutdown-v3"));
      broker.close();
      for (RawMqttClient c : List.of(v5, persistent)) {
        List<Packet> got = untilClosed(c);
        assertThat(got).extracting(p -> p.type()).containsExactly(DISCONNECT, CLOSED);
        assertThat(got.get(0).reasonCode()).isEqualTo(0x8B);
        assertThat(got.get(0).property(PROP_SERVER_REFERENCE)).isEqualTo("other.example.com:1883");
      }
      // MQTT 3.1.1 has no server DISCONNECT: the connection is closed
      assertThat(untilClosed(v3)).extracting(p -> p.type()).containsExactly(CLOSED);
    }
  }

  @Test
  void gracefulStopWithoutServerReferenceSendsPlainServerShuttingDown() throws Exception {
    TestBroker broker = TestBroker.start();
    try (RawMqttClient v5 = RawMqttClient.open(broker.mqttPort(), 5)) {
      v5.connect(new Connect("shutdown-plain"));
      broker.close();
      List<Packet> got = untilClosed(v5);
      assertThat(got).extracting(p -> p.type()).containsExactly(DISCONNECT, CLOSED);
      assertThat(got.get(0).reasonCode()).isEqualTo(0x8B);
      assertThat(got.get(0).hasProperty(PROP_SERVER_REFERENCE)).isFalse();
    }
  }

  @Test
  void clientReconnectingDuringGracefulStopIsNotAccepted() throws Exception {
    TestBroker broker = TestBroker.start();
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    try (RawMqttClient v5 = RawMqttClient.open(broker.mqttPort(), 5)) {
      v5.connect(new Connect("shutdown-reconnect").sessionExpiry(300));
      Thread stopper =
          new Thread(
              () -> {
                broker.close();
                stopped.complete(null);
              });
      stopper.start();
      Packet disconnect = v5.expect(DISCONNECT, Duration.ofSeconds(20));
      assertThat(disconnect.reasonCode()).isEqualTo(0x8B);
      // a device that reconnects at once must not get a session on the node that is going away: it
      // is
      // refused (CONNACK 0x88 while the node drains), finds the listener closed, or has its socket
      // closed
      // under it as the listener closes
      Packet answer;
      try (RawMqttClient again = RawMqttClient.open(broker.mqttPort(), 5)) {
        again.sendConnect(new Connect("shutdown-reconnect").cleanStart(false).sessionExpiry(300));
        answer = again.poll(Duration.ofSeconds(20));
      } catch (IllegalStateException ioFailed) {
        assertThat(ioFailed).hasCauseInstanceOf(SocketException.class); // ConnectException included
        answer = null;
      }
      if (answer != null) {
        assertThat(answer.type()).isIn(CONNACK, CLOSED);
        if (answer.type() == CONNACK) {
          assertThat(answer.reasonCode()).isEqualTo(0x88);
        }
      }
      stopped.get(60, TimeUnit.SECONDS);
    }
  }
}
