package io.mqttgrid.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A cluster of broker nodes for tests, each a separate JVM started from the built jar ({@code
 * target/mqttgrid.jar}, made by {@code package}, which runs before failsafe's integration tests).
 * Nodes are numbered from 1 and named {@code n1..nN}; each gets free loopback ports (MQTT, HTTP,
 * Hazelcast, event bus; WebSocket off), {@code cluster.mode=tcp} with every node in {@code
 * cluster.members}, and logs to {@code target/cluster-logs/<name>/<node>.log}. {@link #start}
 * returns once every node's {@code /health/ready} says UP with {@code members == N}. Start one per
 * test class: a node costs a JVM.
 */
public final class ClusterFixture implements AutoCloseable {

  /**
   * Heap and JIT flags that keep N node JVMs cheap on a small machine, and the exit on
   * OutOfMemoryError every production start has (README, Dockerfile, k8s), so that a node out of
   * heap fails here as it would there. Assertions are on in Vert.x's connection package only: a
   * socket writes directly on its event loop (mqtt.DirectSocketWrites), and Vert.x asserts there
   * that every such write is on it, so the cluster tests check that claim too.
   */
  public static final List<String> NODE_JVM_FLAGS =
      List.of(
          "-Xmx256m",
          "-Xss512k",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-XX:+ExitOnOutOfMemoryError",
          "-ea:io.vertx.core.net.impl...");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final String name;
  private final Path logDir;
  private final Path jar;
  private final List<String> jvmFlags;
  private final List<Node> nodes = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final Thread killOnExit = new Thread(this::killAll, "cluster-fixture-kill");
  private TcpLoadBalancer loadBalancer;
  private Duration formationTime;

  /**
   * Where a node runs: the address it binds every listener to and is reached on, and the command
   * its JVM is launched through (e.g. {@code ip netns exec <ns>}; empty: launched directly).
   */
  public record Host(String address, List<String> commandPrefix) {
    public Host {
      commandPrefix = List.copyOf(commandPrefix);
    }
  }

  private static final Host LOOPBACK = new Host("127.0.0.1", List.of());

  /** One node of the cluster: its ports and process. */
  public static final class Node {
    private final int index;
    private final String id;
    private final Host host;
    private final int mqttPort;
    private final int httpPort;
    private final int hazelcastPort;
    private final int eventBusPort;
    private final int managementPort;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final Path log;
    private Process process;

    private Node(int index, Host host, int[] ports, Path log) {
      this.index = index;
      this.id = "n" + index;
      this.host = host;
      this.mqttPort = ports[0];
      this.httpPort = ports[1];
      this.hazelcastPort = ports[2];
      this.eventBusPort = ports[3];
      this.managementPort = ports[4];
      this.log = log;
    }

    public int index() {
      return index;
    }

    public String id() {
      return id;
    }

    /** The address the node's listeners are bound to (127.0.0.1 unless placed otherwise). */
    public String host() {
      return host.address();
    }

    public int mqttPort() {
      return mqttPort;
    }

    public int managementPort() {
      return managementPort;
    }

    public int httpPort() {
      return httpPort;
    }

    public int hazelcastPort() {
      return hazelcastPort;
    }

    public int eventBusPort() {
      return eventBusPort;
    }

    public Path log() {
      return log;
    }

    /** The settings the node runs with (--set key=value), the same on every restart. */
    public Map<String, String> settings() {
      return Map.copyOf(settings);
    }

    public synchronized boolean isRunning() {
      return process != null && process.isAlive();
    }

    public synchronized long pid() {
      return process == null ? -1 : process.pid();
    }
  }

  private ClusterFixture(
      String name,
      int count,
      Map<String, String> overrides,
      List<String> jvmFlags,
      IntFunction<Host> hosts) {
    this.name = name;
    Path base = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    this.jar = base.resolve("target/mqttgrid.jar");
    this.logDir = base.resolve("target/cluster-logs").resolve(name);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar
              + " is missing: cluster tests run the packaged broker "
              + "(mvn verify packages it before the integration tests; from an IDE run mvn package first)");
    }
    try {
      Files.createDirectories(logDir);
      try (Stream<Path> old = Files.list(logDir)) {
        for (Path p : old.toList()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare " + logDir, e);
    }
    int[][] ports = freePorts(count, 5);
    Host[] placed = IntStream.rangeClosed(1, count).mapToObj(hosts).toArray(Host[]::new);
    String members =
        IntStream.range(0, count)
            .mapToObj(i -> placed[i].address() + ":" + ports[i][2])
            .collect(Collectors.joining(","));
    for (int i = 1; i <= count; i++) {
      Node node = new Node(i, placed[i - 1], ports[i - 1], logDir.resolve("n" + i + ".log"));
      String address = node.host();
      node.settings.put("node.id", node.id);
      node.settings.put("mqtt.host", address);
      node.settings.put("mqtt.port", String.valueOf(node.mqttPort));
      node.settings.put("mqtt.websocket-port", "-1");
      node.settings.put("mqtt.instances", "1");
      node.settings.put("http.host", address);
      node.settings.put("http.port", String.valueOf(node.httpPort));
      node.settings.put("management.host", address);
      node.settings.put("management.port", String.valueOf(node.managementPort));
      node.settings.put("cluster.mode", "tcp");
      node.settings.put("cluster.name", "it-" + name + "-" + ProcessHandle.current().pid());
      node.settings.put("cluster.members", members);
      node.settings.put("cluster.port", String.valueOf(node.hazelcastPort));
      node.settings.put("cluster.interface", address);
      node.settings.put("cluster.eventbus-port", String.valueOf(node.eventBusPort));
      node.settings.putAll(overrides);
      nodes.add(node);
    }
    this.jvmFlags = List.copyOf(jvmFlags);
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * {@code count} nodes with the defaults, named after the test class; returns when they form one
   * cluster.
   */
  public static ClusterFixture start(Class<?> testClass, int count) {
    return start(testClass.getSimpleName(), count, Map.of());
  }

  /**
   * {@code count} nodes with the defaults plus {@code overrides} (broker keys, the same on every
   * node); returns when every node reports {@code members == count}. n1 starts first and the others
   * join it, which is quicker on a small machine than {@link #startTogether} and never needs a
   * merge.
   */
  public static ClusterFixture start(String name, int count, Map<String, String> overrides) {
    return start(name, count, overrides, false);
  }

  /**
   * As {@link #start(String, int, Map)}, but every JVM is launched at once, as a Deployment's pods
   * are.
   */
  public static ClusterFixture startTogether(
      String name, int count, Map<String, String> overrides) {
    return start(name, count, overrides, true);
  }

  /**
   * As {@link #start(String, int, Map)}, with node {@code i} placed on {@code hosts.apply(i)}: its
   * own address (every listener and the Hazelcast member bind to it) and a command prefix, e.g. a
   * network namespace.
   */
  public static ClusterFixture start(
      String name, int count, Map<String, String> overrides, IntFunction<Host> hosts) {
    return start(name, count, overrides, false, hosts);
  }

  private static ClusterFixture start(
      String name, int count, Map<String, String> overrides, boolean together) {
    return start(name, count, overrides, together, i -> LOOPBACK);
  }

  private static ClusterFixture start(
      String name,
      int count,
      Map<String, String> overrides,
      boolean together,
      IntFunction<Host> hosts) {
    ClusterFixture cluster = new ClusterFixture(name, count, overrides, NODE_JVM_FLAGS, hosts);
    Instant begin = Instant.now();
    try {
      for (Node node : cluster.nodes) {
        cluster.launch(node);
        if (!together && node.index == 1 && count > 1) {
          // answering at all (UP, or DOWN under split-brain protection) means its Hazelcast member
          // is up
          cluster.awaitAnswer(1, START_TIMEOUT);
        }
      }
      cluster.awaitMembers(count, START_TIMEOUT);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    cluster.formationTime = Duration.between(begin, Instant.now());
    return cluster;
  }

  /** From launching the JVMs to every node reporting the full cluster. */
  public Duration formationTime() {
    return formationTime;
  }

  public int size() {
    return nodes.size();
  }

  /** Node {@code i}, counted from 1 ({@code node(1).id()} is {@code n1}). */
  public Node node(int i) {
    if (i < 1 || i > nodes.size()) {
      throw new IllegalArgumentException("nodes are numbered 1.." + nodes.size() + ", got " + i);
    }
    return nodes.get(i - 1);
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** kill -9: the process dies at once, without telling anybody (Process.destroyForcibly). */
  public void kill(int i) {
    Node node = node(i);
    synchronized (node) {
      if (node.process != null) {
        node.process.destroyForcibly();
        waitForExit(node.process, Duration.ofSeconds(20));
      }
    }
  }

  /**
   * Graceful stop, as an orchestrator does it: SIGTERM, then wait for the node to finish (kill
   * after 40 s).
   */
  public void stop(int i) {
    Node node = node(i);
    synchronized (node) {
      if (node.process != null && node.process.isAlive()) {
        node.process.destroy();
        if (!waitForExit(node.process, Duration.ofSeconds(40))) {
          node.process.destroyForcibly();
          waitForExit(node.process, Duration.ofSeconds(20));
        }
      }
    }
  }

  /**
   * Starts node {@code i} again with the same settings and ports (stopping it gracefully first if
   * it still runs). Returns at once: wait with {@link #awaitMembers} or {@link #awaitReady}.
   */
  public void restart(int i) {
    stop(i);
    launch(node(i));
  }

  /** Waits until every running node's /health/ready says UP with {@code members == expected}. */
  public void awaitMembers(int expected, Duration timeout) {
    int[] running = nodes.stream().filter(Node::isRunning).mapToInt(Node::index).toArray();
    awaitMembers(expected, timeout, running);
  }

  /**
   * Waits until each of the given nodes' /health/ready says UP with {@code members == expected}.
   */
  public void awaitMembers(int expected, Duration timeout, int... indexes) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i : indexes) {
      Node node = node(i);
      while (true) {
        Optional<JsonObject> h = health(i);
        if (h.isPresent()
            && "UP".equals(h.get().getString("status"))
            && h.get().getInteger("members", -1) == expected) {
          break;
        }
        if (!node.isRunning()) {
          throw new IllegalStateException(
              node.id
                  + " exited ("
                  + exitCode(node)
                  + ") before reporting "
                  + expected
                  + " members; its log ends with:\n"
                  + tail(node.log, 40));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              node.id
                  + " did not report UP with "
                  + expected
                  + " members within "
                  + timeout.toSeconds()
                  + " s; last health: "
                  + h.map(JsonObject::encode).orElse("no answer")
                  + "; its log ends with:\n"
                  + tail(node.log, 40));
        }
        sleep(100);
      }
    }
  }

  /**
   * Waits until node {@code i}'s /health/ready body satisfies {@code condition}; returns that body.
   */
  public JsonObject awaitHealth(int i, Duration timeout, Predicate<JsonObject> condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Optional<JsonObject> h = Optional.empty();
    while (System.nanoTime() < deadline) {
      h = health(i);
      if (h.isPresent() && condition.test(h.get())) {
        return h.get();
      }
      sleep(100);
    }
    throw new IllegalStateException(
        node(i).id
            + ": health not as expected within "
            + timeout.toSeconds()
            + " s; last: "
            + h.map(JsonObject::encode).orElse("no answer"));
  }

  /** Waits until node {@code i} answers /health/ready, UP or DOWN. */
  public JsonObject awaitAnswer(int i, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<JsonObject> h = health(i);
      if (h.isPresent()) {
        return h.get();
      }
      if (!node(i).isRunning()) {
        throw new IllegalStateException(
            node(i).id + " exited; its log ends with:\n" + tail(node(i).log, 40));
      }
      sleep(100);
    }
    throw new IllegalStateException(
        node(i).id + " did not answer within " + timeout.toSeconds() + " s");
  }

  /** Waits until node {@code i} answers /health/ready with UP, whatever the member count. */
  public JsonObject awaitReady(int i, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<JsonObject> h = health(i);
      if (h.isPresent() && "UP".equals(h.get().getString("status"))) {
        return h.get();
      }
      if (!node(i).isRunning()) {
        throw new IllegalStateException(
            node(i).id + " exited; its log ends with:\n" + tail(node(i).log, 40));
      }
      sleep(100);
    }
    throw new IllegalStateException(node(i).id + " not ready within " + timeout.toSeconds() + " s");
  }

  /**
   * Node {@code i}'s /health/ready body (also when it says DOWN), or empty when it does not answer.
   */
  public Optional<JsonObject> health(int i) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(healthUri(node(i)))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return Optional.of(new JsonObject(r.body()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The member count node {@code i} reports, or -1 when it does not answer. */
  public int members(int i) {
    return health(i).map(h -> h.getInteger("members", -1)).orElse(-1);
  }

  /**
   * A load balancer in front of every node's MQTT port (started on first use, closed with the
   * cluster).
   */
  public synchronized TcpLoadBalancer loadBalancer() {
    if (loadBalancer == null) {
      loadBalancer =
          TcpLoadBalancer.start(
              nodes.stream()
                  .map(n -> new TcpLoadBalancer.Backend(n.id, n.mqttPort, healthUri(n)))
                  .toList());
    }
    return loadBalancer;
  }

  /** An MQTT 5 client (not yet connected) straight to node {@code i}. */
  public Mqtt5BlockingClient v5(int i, String clientId) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .serverHost(node(i).host())
        .serverPort(node(i).mqttPort)
        .buildBlocking();
  }

  /** An MQTT 3.1.1 client (not yet connected) straight to node {@code i}. */
  public Mqtt3BlockingClient v3(int i, String clientId) {
    return MqttClient.builder()
        .useMqttVersion3()
        .identifier(clientId)
        .serverHost(node(i).host())
        .serverPort(node(i).mqttPort)
        .buildBlocking();
  }

  /** Kills every node (kill -9) and closes the load balancer. */
  @Override
  public void close() {
    if (loadBalancer != null) {
      loadBalancer.close();
    }
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }

  private void killAll() {
    for (Node node : nodes) {
      synchronized (node) {
        if (node.process != null) {
          node.process.destroyForcibly();
        }
      }
    }
    for (Node node : nodes) {
      if (node.process != null) {
        waitForExit(node.process, Duration.ofSeconds(20));
      }
    }
  }

  private void launch(Node node) {
    synchronized (node) {
      if (node.process != null && node.process.isAlive()) {
        throw new IllegalStateException(node.id + " is running");
      }
      List<String> command = new ArrayList<>(node.host.commandPrefix());
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmFlags);
      command.add("-jar");
      command.add(jar.toString());
      node.settings.forEach(
          (k, v) -> {
            command.add("--set");
            command.add(k + "=" + v);
          });
      try {
        Files.writeString(
            node.log,
            "=== "
                + Instant.now()
                + " "
                + node.id
                + ": "
                + String.join(" ", command)
                + System.lineSeparator(),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile()));
        pb.environment()
            .keySet()
            .removeIf(k -> k.startsWith("MQTTGRID_") && !k.equals("MQTTGRID_LOG_LEVEL"));
        node.process = pb.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start " + node.id, e);
      }
    }
  }

  private URI healthUri(Node node) {
    return URI.create("http://" + node.host() + ":" + node.httpPort + "/health/ready");
  }

  private static boolean waitForExit(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String exitCode(Node node) {
    synchronized (node) {
      return node.process == null || node.process.isAlive()
          ? "running"
          : "exit " + node.process.exitValue();
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join(
          System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * Distinct free loopback ports: all sockets are held until every port is chosen. Taken below the
   * kernel's ephemeral range where there is room: a node binds its ports seconds after they are
   * chosen (its JVM starts first; a restarted node binds them again later still), and a port of the
   * ephemeral range may meanwhile become the source port of any outgoing connection on the machine
   * ("Address already in use" at start, seen in a full run).
   */
  private static int[][] freePorts(int rows, int columns) {
    int below = ephemeralRangeStart();
    boolean belowRange = below - FIRST_CHOSEN_PORT >= 100 * rows * columns;
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[][] ports = new int[rows][columns];
      for (int[] row : ports) {
        for (int c = 0; c < columns; c++) {
          ServerSocket s = belowRange ? bindBelow(below) : bind(0);
          held.add(s);
          row[c] = s.getLocalPort();
        }
      }
      return ports;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException e) {
          // released either way
        }
      }
    }
  }

  /** The lowest port below the ephemeral range that {@link #freePorts} chooses from. */
  private static final int FIRST_CHOSEN_PORT = 10_000;

  private static ServerSocket bindBelow(int below) throws IOException {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(FIRST_CHOSEN_PORT, below);
      try {
        return bind(port);
      } catch (IOException taken) {
        // in use: another one
      }
    }
    return bind(0);
  }

  private static ServerSocket bind(int port) throws IOException {
    return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
  }

  /** Where Linux starts handing out source ports; where that cannot be read, nothing is below. */
  private static int ephemeralRangeStart() {
    // read line by line: Files.readString trusts the size a /proc file reports and stops short
    try (BufferedReader r =
        Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      return Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return name
        + IntStream.rangeClosed(1, nodes.size())
            .mapToObj(
                i -> node(i).id + "(mqtt " + node(i).mqttPort + ", http " + node(i).httpPort + ")")
            .collect(Collectors.joining(", ", "[", "]"));
  }
}
