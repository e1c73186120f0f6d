package io.mqttgrid.http;

import static io.mqttgrid.http.RawHttp.awaitClose;
import static io.mqttgrid.http.RawHttp.connect;
import static io.mqttgrid.http.RawHttp.readResponse;
import static io.mqttgrid.http.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API with admin JWTs of a namespace issuer that publishes its keys as a JWKS
 * document, served here half a second late: the check of the first token waits for the fetch, so it
 * is asynchronous. The body that came with the headers waits for it (none of it lost), and a
 * refused caller's body is never read.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@WithBroker(configMethod = "config")
class ManagementApiTokenIT {

  private static final long JWKS_DELAY_MS = 500;

  @TempDir static Path dir;
  static TestTokens tokens;
  static HttpServer jwks;
  static final AtomicInteger jwksFetches = new AtomicInteger();
  static TestBroker broker;

  /** Starts the JWKS server the namespace names, before the broker starts. */
  static Map<String, String> config() throws Exception {
    tokens = TestTokens.create();
    byte[] document =
        new JsonObject()
            .put("keys", new JsonArray().add(tokens.jwk()))
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext(
        "/jwks",
        exchange -> {
          jwksFetches.incrementAndGet();
          try {
            Thread.sleep(JWKS_DELAY_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, document.length);
          exchange.getResponseBody().write(document);
          exchange.close();
        });
    jwks.start();
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          hostname: %s
          clientAuthentication:
            customJwtAuthentication:
              tokenIssuer: %s
              jwksUrl: http://127.0.0.1:%d/jwks
        """
            .formatted(TestTokens.HOSTNAME, TestTokens.ISSUER, jwks.getAddress().getPort()));
    return Map.of("namespace.file", file.toString());
  }

  @AfterAll
  static void stop() {
    jwks.stop(0);
  }

  private static String token(Object roles) {
    long now = System.currentTimeMillis() / 1000;
    return tokens.sign(
        Map.of(
            "iss",
            TestTokens.ISSUER,
            "sub",
            "operator",
            "aud",
            TestTokens.HOSTNAME,
            "nbf",
            now - 5,
            "exp",
            now + 600,
            "roles",
            roles));
  }

  @Test
  @Order(1) // the first token checked makes the broker fetch the JWKS: this one must wait for it
  void anAdminJwtsRequestIsServedWithTheBodySentTogetherWithTheHeaders() throws Exception {
    assertThat(jwksFetches.get()).as("no key fetched before the first token").isZero();
    String body = "{\"properties\":{\"authenticationName\":\"jwt-made\"}}";
    try (Socket socket = connect(broker.managementPort())) {
      // one write: the body arrives with the headers, while the token's check waits for the keys
      send(
          socket,
          "PUT /namespaces/mqttgrid/clients/jwt-made HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + token(List.of("mqttgrid.admin"))
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length()
              + "\r\n\r\n"
              + body);
      assertThat(readResponse(socket.getInputStream()))
          .startsWith("HTTP/1.1 201")
          .contains("jwt-made");
    }
    assertThat(jwksFetches.get()).isEqualTo(1);
  }

  @Test
  @Order(2)
  void aJwtWithoutTheAdminRoleIsRefusedBeforeItsBodyIsRead() throws Exception {
    try (Socket socket = connect(broker.managementPort())) {
      send(
          socket,
          "PUT /namespaces/mqttgrid/clients/c1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + token(List.of("reader"))
              + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n");
      RawHttp.Outcome outcome = awaitClose(socket);
      assertThat(outcome.received()).startsWith("HTTP/1.1 403").contains("\"Forbidden\"");
      assertThat(outcome.closed()).isTrue();
    }
  }
}
