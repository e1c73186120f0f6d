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
 * before the node reads anything from it, and the management port keeps answering.
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
  void openConnectionsAreCappedAndTheManagementPortStillAnswers() throws Exception {
    try (TestBroker broker =
        TestBroker.start(
            Map.of("mqtt.max-connections", "3", "mqtt.connect-rate-per-address", "0"))) {
      List<RawMqttClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          clients.add(RawMqttClient.connected(broker.mqttPort(), 5, new Connect("capped-" + i)));
        }
        try (Socket fourth = open("127.0.0.1", broker.mqttPort())) {
          assertThat(closedByBroker(fourth, Duration.ofSeconds(5))).isTrue();
        }
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
