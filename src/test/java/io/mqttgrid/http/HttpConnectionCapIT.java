package io.mqttgrid.http;

import static io.mqttgrid.http.RawHttp.awaitClose;
import static io.mqttgrid.http.RawHttp.connect;
import static io.mqttgrid.http.RawHttp.get;
import static io.mqttgrid.http.RawHttp.readResponse;
import static io.mqttgrid.http.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The per-port connection cap: a full HTTP port refuses new connections, the management port still
 * answers.
 */
class HttpConnectionCapIT {

  private static final int CAP = 3;

  @Test
  void theConnectionOverTheHttpPortsCapIsClosedWhileTheManagementPortAnswers() throws Exception {
    List<Socket> held = new ArrayList<>();
    try (TestBroker broker =
        TestBroker.start(Map.of("http.max-connections", String.valueOf(CAP)))) {
      for (int i = 0; i < CAP; i++) {
        Socket socket = connect(broker.httpPort());
        held.add(socket);
        // a completed request proves the broker counted the connection before the next one comes
        send(socket, "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
      }
      try (Socket over = connect(broker.httpPort())) {
        send(over, "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
        RawHttp.Outcome outcome = awaitClose(over);
        assertThat(outcome.closed()).as("connection %d of a cap of %d", CAP + 1, CAP).isTrue();
        assertThat(outcome.received()).isEmpty();
      }
      HttpResponse<String> ready = get(broker.managementPort(), "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).contains("\"UP\"");
      // the cap counts open connections: with one closed, a new one is served
      held.remove(0).close();
      long deadline = System.currentTimeMillis() + RawHttp.WAIT_MS;
      int status = -1;
      while (status != 200 && System.currentTimeMillis() < deadline) {
        try {
          status = get(broker.httpPort(), "/health/live").statusCode();
        } catch (IOException e) {
          Thread.sleep(100); // the broker has not seen the close yet
        }
      }
      assertThat(status).isEqualTo(200);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
