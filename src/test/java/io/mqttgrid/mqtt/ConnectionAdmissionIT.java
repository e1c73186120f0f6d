package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.TestBroker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The caps on MQTT sockets (mqtt.max-connections, unauthenticated connections in total and per
 * source address, connects per second per address): a socket over a cap is closed when accepted,
 * before the node reads anything from it, except over mqtt.max-connections, where a few are kept to
 * be answered a refusing CONNACK; and the management port keeps answering.
 */
class ConnectionAdmissionIT {

  @Test
  void unauthenticatedSocketsAreCappedPerSourceAddress() throws Exception {
    try (TestBroker broker =
        TestBroker.start(
            Map.of(
                "mqtt.max-unauthenticated-per-address",
                "5",
                "mqtt.connect-rate-per-address",
                "0"))) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          silent.add(open("127.0.0.1", broker.mqttPort()));
        }
        for (Socket s : silent) {
          assertThat(closedByBroker(s, Duration.ofMillis(300))).isFalse();
        }
        try (Socket sixth = open("127.0.0.1", broker.mqttPort())) {
          assertThat(closedByBroker(sixth, Duration.ofSeconds(5))).isTrue();
        }
        // another source address has its own allowance
        try (Socket other = open("127.0.0.2", broker.mqttPort())) {
          assertThat(closedByBroker(other, Duration.ofMillis(300))).isFalse();
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
      // once those sockets are gone, the address connects as usual
      awaitConnect(broker);
    }
  }

  @Test
  void newSocketsAreRateLimitedPerSourceAddress() throws Exception {
    int rate = 2;
    try (TestBroker broker =
        TestBroker.start(Map.of("mqtt.connect-rate-per-address", String.valueOf(rate)))) {
      int admitted = 0;
      long start = System.nanoTime();
      for (int i = 0; i < 40; i++) {
        // an admitted socket answers its CONNECT; a refused one is closed unread (however slow the
        // machine)
        try (RawMqttClient c = RawMqttClient.open(broker.mqttPort(), 5)) {
          c.sendQuietly(new RawMqttClient.Connect("rate-" + i).encode(5));
          RawMqttClient.Packet answer = c.read(Duration.ofSeconds(10));
          if (!answer.isClosed()) {
            assertThat(answer.type()).isEqualTo(RawMqttClient.CONNACK);
            admitted++;
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      // a burst of `rate`, then `rate` a second, however fast this machine ran the loop
      assertThat(admitted).isBetween(rate, (int) (rate + rate * seconds) + 1);
      assertThat(admitted).isLessThan(40);
    }
  }

  @Test
  void aConnectOverTheConnectionCapIsRefusedByConnackAndTheManagementPortStillAnswers()
      throws Exception {
    try (TestBroker broker =
        TestBroker.start(
            Map.of("mqtt.max-connections", "3", "mqtt.connect-rate-per-address", "0"))) {
      List<RawMqttClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          clients.add(RawMqttClient.connected(broker.mqttPort(), 5, new Connect("capped-" + i)));
        }
        // a device over the cap learns that the server is busy, not that the network failed
        try (RawMqttClient v5 = RawMqttClient.open(broker.mqttPort(), 5)) {
          v5.sendConnect(new Connect("over-cap-5"));
          assertThat(v5.expect(RawMqttClient.CONNACK).reasonCode())
              .as("MQTT 5: Quota exceeded")
              .isEqualTo(0x97);
          assertThat(v5.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        try (RawMqttClient v311 = RawMqttClient.open(broker.mqttPort(), 4)) {
          v311.sendConnect(new Connect("over-cap-311"));
          assertThat(v311.expect(RawMqttClient.CONNACK).reasonCode())
              .as("MQTT 3.1.1: Server unavailable")
              .isEqualTo(0x03);
          assertThat(v311.closedWithin(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(
                TestBroker.metricValue(
                    broker.scrapeMetrics(),
                    "mqttgrid_connections_refused_total",
                    "reason=\"max-connections\""))
            .isEqualTo(2);
        HttpResponse<String> health =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + broker.managementPort() + "/health/ready"))
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
      } finally {
        clients.forEach(RawMqttClient::close);
      }
      awaitConnect(broker);
    }
  }

  @Test
  void overTheConnectionCapOnlyAFewSocketsAreKeptToBeAnsweredTheRestAreClosedAtOnce()
      throws Exception {
    try (TestBroker broker =
        TestBroker.start(
            Map.of(
                "mqtt.max-connections",
                "1",
                "mqtt.connect-rate-per-address",
                "0",
                "mqtt.connect-timeout",
                "120"))) {
      List<Socket> silent = new ArrayList<>();
      try (RawMqttClient held = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("in"))) {
        for (int i = 0; i < ConnectionAdmission.MAX_ANSWERED_OVER_CAP; i++) {
          silent.add(open("127.0.0.1", broker.mqttPort()));
        }
        for (Socket s : silent) {
          assertThat(closedByBroker(s, Duration.ofMillis(100)))
              .as("kept open to read its CONNECT")
              .isFalse();
        }
        try (Socket next = open("127.0.0.1", broker.mqttPort())) {
          assertThat(closedByBroker(next, Duration.ofSeconds(5))).isTrue();
        }
        // one of those answered and gone makes room for the next to be answered
        silent.remove(0).close();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
          try (RawMqttClient v5 = RawMqttClient.open(broker.mqttPort(), 5)) {
            v5.sendConnect(new Connect("over-cap"));
            assertThat(v5.expect(RawMqttClient.CONNACK).reasonCode()).isEqualTo(0x97);
            break;
          } catch (AssertionError | IllegalStateException e) {
            if (System.nanoTime() > deadline) {
              throw e; // the closed socket's room never came back
            }
            Thread.sleep(50);
          }
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
    }
  }

  private static void awaitConnect(TestBroker broker) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      try (RawMqttClient c =
          RawMqttClient.connected(broker.mqttPort(), 5, new Connect("after-cap"))) {
        return;
      } catch (AssertionError | IllegalStateException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  private static Socket open(String from, int port) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return s;
  }

  /** Whether the broker closes the socket within {@code wait} without sending anything. */
  private static boolean closedByBroker(Socket s, Duration wait) throws IOException {
    s.setSoTimeout((int) wait.toMillis());
    InputStream in = s.getInputStream();
    try {
      int b = in.read();
      assertThat(b).as("nothing is sent on a refused socket").isEqualTo(-1);
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }
}
