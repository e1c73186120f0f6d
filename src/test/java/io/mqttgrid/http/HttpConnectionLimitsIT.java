package io.mqttgrid.http;

import static io.mqttgrid.http.RawHttp.assertRequestTimeout;
import static io.mqttgrid.http.RawHttp.awaitClose;
import static io.mqttgrid.http.RawHttp.connect;
import static io.mqttgrid.http.RawHttp.get;
import static io.mqttgrid.http.RawHttp.readResponse;
import static io.mqttgrid.http.RawHttp.send;
import static io.mqttgrid.http.RawHttp.trickle;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * The idle, header and body deadlines of the HTTP and management ports, against slow-loris clients
 * on raw sockets (1-2 s timeouts here; the defaults are minutes).
 */
@WithBroker({
  "http.idle-timeout=2",
  "http.header-timeout=1",
  "http.body-timeout=1",
  "management.idle-timeout=2",
  "management.header-timeout=1",
  "management.body-timeout=1",
  "management.token=" + HttpConnectionLimitsIT.TOKEN
})
class HttpConnectionLimitsIT {

  static final String TOKEN = "limits-admin-token-1234567890";
  private static final String SLOW_HEADERS =
      "GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(80) + "\r\n\r\n";

  static TestBroker broker;

  @Test
  void anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    for (int port : new int[] {broker.httpPort(), broker.managementPort()}) {
      try (Socket socket = connect(port)) {
        send(socket, "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
        RawHttp.Outcome idle = awaitClose(socket);
        assertThat(idle.closed()).as("port %d closes an idle connection", port).isTrue();
        assertThat(idle.received()).isEmpty();
      }
    }
  }

  @Test
  void headersTrickledOneBytePerFifthOfASecondGet408AfterTheHeaderTimeout() throws Exception {
    // the idle timeout (2 s) would close the connection without an answer; the header deadline (1
    // s) answers 408
    for (int port : new int[] {broker.httpPort(), broker.managementPort()}) {
      try (Socket socket = connect(port)) {
        RawHttp.Outcome outcome = awaitClose(socket, trickle(socket, SLOW_HEADERS, 200));
        assertRequestTimeout(outcome, "request headers");
      }
    }
  }

  @Test
  void theHeaderDeadlineAppliesToEveryRequestOfAKeptAliveConnection() throws Exception {
    try (Socket socket = connect(broker.httpPort())) {
      send(socket, "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
      RawHttp.Outcome outcome = awaitClose(socket, trickle(socket, SLOW_HEADERS, 200));
      assertRequestTimeout(outcome, "request headers");
    }
  }

  @Test
  void aBodyTrickledOneBytePerFifthOfASecondGets408AfterTheBodyTimeout() throws Exception {
    String publish =
        "POST /mqtt/messages?topic=slow&api-version=2025-02-15-preview HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 60\r\n\r\n";
    String put =
        "PUT /namespaces/mqttgrid/clients/slow HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n";
    for (Object[] request :
        new Object[][] {{broker.httpPort(), publish}, {broker.managementPort(), put}}) {
      try (Socket socket = connect((int) request[0])) {
        send(socket, (String) request[1]);
        RawHttp.Outcome outcome = awaitClose(socket, trickle(socket, "x".repeat(60), 200));
        assertRequestTimeout(outcome, "request body");
      }
    }
  }

  @Test
  void requestsInTimeAreServedAsBefore() throws Exception {
    assertThat(get(broker.httpPort(), "/health/ready").statusCode()).isEqualTo(200);
    assertThat(get(broker.managementPort(), "/health/ready").statusCode()).isEqualTo(200);
  }
}
