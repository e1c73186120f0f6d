package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cluster tests' load balancer, against plain sockets: round robin, health checks, closing. */
class TcpLoadBalancerTest {

  private final List<FakeBackend> backends = new ArrayList<>();
  private TcpLoadBalancer lb;

  /** Greets each connection with its name, then echoes lines; /health answers {@code status}. */
  static final class FakeBackend implements AutoCloseable {
    final String name;
    final ServerSocket server;
    final HttpServer health;
    final List<Socket> accepted = new CopyOnWriteArrayList<>();
    final Thread acceptor;
    volatile int status = 200;

    FakeBackend(String name) throws IOException {
      this.name = name;
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      health = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      health.createContext(
          "/health/ready",
          ex -> {
            ex.sendResponseHeaders(status, -1);
            ex.close();
          });
      health.start();
      acceptor = new Thread(this::serve, "fake-" + name);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    /**
     * Stops listening for good. A close() alone is not enough at once: an accept() in progress
     * keeps the listening socket alive until its thread wakes up, and may still take a connection.
     */
    void stopListening() throws Exception {
      server.close();
      acceptor.join(5000);
    }

    private void serve() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          accepted.add(s);
          Thread echo =
              new Thread(
                  () -> {
                    try (s) {
                      OutputStream out = s.getOutputStream();
                      out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
                      s.getInputStream().transferTo(out);
                    } catch (IOException e) {
                      // closed
                    }
                  });
          echo.setDaemon(true);
          echo.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    TcpLoadBalancer.Backend backend() {
      return new TcpLoadBalancer.Backend(
          name,
          server.getLocalPort(),
          URI.create("http://127.0.0.1:" + health.getAddress().getPort() + "/health/ready"));
    }

    @Override
    public void close() throws IOException {
      server.close();
      health.stop(0);
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  @BeforeEach
  void start() throws IOException {
    backends.add(new FakeBackend("a"));
    backends.add(new FakeBackend("b"));
    lb = TcpLoadBalancer.start(backends.stream().map(FakeBackend::backend).toList());
  }

  @AfterEach
  void stop() throws IOException {
    lb.close();
    for (FakeBackend b : backends) {
      b.close();
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(lb.host(), lb.port());
    s.setSoTimeout(5000);
    return s;
  }

  private static String readLine(Socket s) throws IOException {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
  }

  @Test
  void clientsGoRoundRobinAndBytesFlowBothWays() throws IOException {
    List<String> greetings = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      try (Socket s = connect()) {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        greetings.add(in.readLine());
        s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
        assertThat(in.readLine()).isEqualTo("ping");
      }
    }
    assertThat(greetings).containsExactly("a", "b", "a", "b");
    assertThat(lb.history()).containsExactly("a", "b", "a", "b");
  }

  @Test
  void aBackendWhoseHealthIsNot200GetsNoNewClients() throws Exception {
    backends.get(1).status = 503;
    Await.until("b marked unhealthy", Duration.ofSeconds(5), () -> !lb.isHealthy("b"));
    assertThat(lb.isHealthy("b")).isFalse();
    for (int i = 0; i < 3; i++) {
      try (Socket s = connect()) {
        assertThat(readLine(s)).isEqualTo("a");
      }
    }
    backends.get(1).status = 200;
    Await.until("b healthy again", Duration.ofSeconds(5), () -> lb.isHealthy("b"));
    assertThat(lb.isHealthy("b")).isTrue();
  }

  @Test
  void aBackendThatRefusesConnectionsIsSkippedAtOnce() throws Exception {
    backends.get(0).stopListening();
    for (int i = 0; i < 3; i++) {
      try (Socket s = connect()) {
        assertThat(readLine(s)).isEqualTo("b");
      }
    }
  }

  @Test
  void whenTheBackendClosesTheClientsConnectionIsClosed() throws Exception {
    try (Socket s = connect()) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertThat(in.readLine()).isEqualTo("a");
      assertThat(lb.openConnections()).containsEntry("a", 1);
      backends.get(0).accepted.get(0).close();
      assertThat(in.read()).isEqualTo(-1);
    }
    Await.until(
        "a's connection counted as closed",
        Duration.ofSeconds(5),
        () -> lb.openConnections().get("a") == 0);
    assertThat(lb.openConnections()).containsEntry("a", 0);
  }
}
