package io.mqttgrid.http;

import static io.mqttgrid.http.RawHttp.awaitClose;
import static io.mqttgrid.http.RawHttp.connect;
import static io.mqttgrid.http.RawHttp.readResponse;
import static io.mqttgrid.http.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API with admin JWTs of a namespace issuer, whose check is asynchronous: the body that comes
 * with the headers waits for the check (none of it lost), and a refused caller's body is never read.
 */
class ManagementApiTokenIT {

  @TempDir
  static Path dir;
  static TestTokens tokens;
  static TestBroker broker;

  @BeforeAll
  static void start() throws Exception {
    tokens = TestTokens.create();
    broker = TestBroker.start(Map.of("namespace.file", tokens.writeNamespace(dir).toString()));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static String token(Object roles) {
    long now = System.currentTimeMillis() / 1000;
    return tokens.sign(Map.of("iss", TestTokens.ISSUER, "sub", "operator", "aud", TestTokens.HOSTNAME,
        "nbf", now - 5, "exp", now + 600, "roles", roles));
  }

  @Test
  void anAdminJwtsRequestIsServedWithTheBodySentTogetherWithTheHeaders() throws Exception {
    String body = "{\"properties\":{\"authenticationName\":\"jwt-made\"}}";
    try (Socket socket = connect(broker.managementPort())) {
      // one write: the body is read with the headers, while the token is still being checked
      send(socket, "PUT /namespaces/mqttgrid/clients/jwt-made HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
          + token(List.of("mqttgrid.admin")) + "\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length() + "\r\n\r\n" + body);
      assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 201").contains("jwt-made");
    }
  }

  @Test
  void aJwtWithoutTheAdminRoleIsRefusedBeforeItsBodyIsRead() throws Exception {
    try (Socket socket = connect(broker.managementPort())) {
      send(socket, "PUT /namespaces/mqttgrid/clients/c1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
          + token(List.of("reader")) + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n");
      RawHttp.Outcome outcome = awaitClose(socket);
      assertThat(outcome.received()).startsWith("HTTP/1.1 403").contains("\"Forbidden\"");
      assertThat(outcome.closed()).isTrue();
    }
  }
}
