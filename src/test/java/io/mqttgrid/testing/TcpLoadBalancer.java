package io.mqttgrid.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP load balancer for tests, in front of several brokers, as devices meet a cluster: round
 * robin over the healthy backends. A backend is skipped once its health URL failed to answer 200
 * {@value #FALL} times in a row (checked every {@value #CHECK_INTERVAL_MS} ms), or at once when it
 * refuses a connection, until the next good check. Bytes are copied as they come; when either side
 * closes, the other side of that connection is closed too, so a client sees its connection drop
 * when the node behind it dies.
 */
public final class TcpLoadBalancer implements AutoCloseable {

  static final int CHECK_INTERVAL_MS = 250;

  /**
   * Failed checks in a row that take a backend out (a slow answer on a busy machine is not a dead
   * node).
   */
  static final int FALL = 2;

  /**
   * A broker behind the balancer: its name (node id), its MQTT port on loopback, its readiness URL.
   */
  public record Backend(String name, int port, URI health) {}

  private final List<Backend> backends;
  private final Map<String, Boolean> healthy = new ConcurrentHashMap<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final Map<String, Set<Socket>> open = new ConcurrentHashMap<>();
  private final List<String> chosen = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final ServerSocket server;
  private final ExecutorService pumps = Executors.newCachedThreadPool(daemon("lb-pump"));
  private final ScheduledExecutorService checker =
      Executors.newSingleThreadScheduledExecutor(daemon("lb-health"));
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private volatile boolean closed;

  private TcpLoadBalancer(List<Backend> backends) throws IOException {
    this.backends = List.copyOf(backends);
    for (Backend b : backends) {
      open.put(b.name(), ConcurrentHashMap.newKeySet());
    }
    for (int i = 0; i < FALL; i++) {
      checkAll();
    }
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread acceptor = daemon("lb-accept").newThread(this::acceptLoop);
    acceptor.start();
    checker.scheduleWithFixedDelay(
        this::checkAll, CHECK_INTERVAL_MS, CHECK_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts listening on a free loopback port; the backends are health-checked once before it
   * returns.
   */
  public static TcpLoadBalancer start(List<Backend> backends) {
    try {
      return new TcpLoadBalancer(backends);
    } catch (IOException e) {
      throw new IllegalStateException("load balancer did not start", e);
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return server.getLocalPort();
  }

  public boolean isHealthy(String backend) {
    return Boolean.TRUE.equals(healthy.get(backend));
  }

  /** The backend the most recent client was sent to, or null when none was. */
  public String lastBackend() {
    return chosen.isEmpty() ? null : chosen.get(chosen.size() - 1);
  }

  /** Every backend a client was sent to, in the order clients arrived. */
  public List<String> history() {
    return List.copyOf(chosen);
  }

  /** Proxied connections open right now, per backend. */
  public Map<String, Integer> openConnections() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Backend b : backends) {
      counts.put(b.name(), open.get(b.name()).size() / 2);
    }
    return counts;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        pumps.execute(() -> route(client));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("[lb] accept failed: " + e);
        }
      }
    }
  }

  private void route(Socket client) {
    for (int attempt = 0; attempt < backends.size(); attempt++) {
      Backend b = backends.get(Math.floorMod(next.getAndIncrement(), backends.size()));
      if (!isHealthy(b.name())) {
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.setTcpNoDelay(true);
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port()), 1000);
      } catch (IOException e) {
        // refused: the process is gone; skip it until a health check says otherwise
        healthy.put(b.name(), false);
        closeQuietly(upstream);
        continue;
      }
      chosen.add(b.name());
      splice(client, upstream, b.name());
      return;
    }
    closeQuietly(client);
  }

  private void splice(Socket client, Socket upstream, String backend) {
    Set<Socket> sockets = open.get(backend);
    sockets.add(client);
    sockets.add(upstream);
    Runnable closeBoth =
        () -> {
          closeQuietly(client);
          closeQuietly(upstream);
          sockets.remove(client);
          sockets.remove(upstream);
        };
    try {
      client.setTcpNoDelay(true);
    } catch (IOException e) {
      closeBoth.run();
      return;
    }
    pumps.execute(() -> copy(client, upstream, closeBoth));
    pumps.execute(() -> copy(upstream, client, closeBoth));
  }

  private static void copy(Socket from, Socket to, Runnable closeBoth) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // reset or closed by the other pump: either way this connection is over
    } finally {
      closeBoth.run();
    }
  }

  private void checkAll() {
    for (Backend b : backends) {
      boolean up;
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(b.health()).timeout(Duration.ofSeconds(1)).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        up = r.statusCode() == 200;
      } catch (IOException e) {
        up = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (up) {
        failures.remove(b.name());
        healthy.put(b.name(), true);
      } else if (failures.merge(b.name(), 1, Integer::sum) >= FALL) {
        healthy.put(b.name(), false);
      }
    }
  }

  /** Stops accepting and closes every proxied connection. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    checker.shutdownNow();
    for (Set<Socket> sockets : open.values()) {
      for (Socket s : sockets) {
        closeQuietly(s);
      }
    }
    pumps.shutdownNow();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
