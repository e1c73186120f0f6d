package io.mqttgrid.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Apache Kafka broker for tests, without Docker: one KRaft node (broker and controller in
 * one process) from the Maven artifacts on the test class path ({@code
 * org.apache.kafka:kafka_2.13}, test scope), in a JVM of its own. Its own JVM, not the test's,
 * because the broker brings Scala, log4j and its own threads and static state into whatever JVM
 * runs it, and because {@link #stop} and {@link #start} must take a real broker down and up again
 * (a destination that is down).
 *
 * <p>Start one per test class: the start (format the log directory, then the broker) takes a few
 * seconds. The log goes to {@code kafka.log} in the directory given.
 *
 * <pre>{@code
 * @TempDir static Path dir;
 * static KafkaBroker kafka;
 * @BeforeAll static void kafka() { kafka = KafkaBroker.start(dir); }
 * @AfterAll static void stop() { kafka.close(); }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path dir;
  private final Path config;
  private final Path log;
  private final int port;
  private Process process;
  private final Thread killOnExit;

  private KafkaBroker(Path dir, int port, int controllerPort) throws IOException {
    this.dir = dir;
    this.port = port;
    this.config = dir.resolve("server.properties");
    this.log = dir.resolve("kafka.log");
    Files.createDirectories(dir);
    Files.writeString(
        config,
        String.join(
                "\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:"
                    + port
                    + ",CONTROLLER://127.0.0.1:"
                    + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "")
            + "\n",
        StandardCharsets.UTF_8);
    killOnExit = new Thread(this::kill, "kafka-broker-kill");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Formats a new log directory under {@code dir}, starts the broker and waits until it serves. */
  public static KafkaBroker start(Path dir) {
    try {
      KafkaBroker b = new KafkaBroker(dir, TestBroker.freePort(), TestBroker.freePort());
      Process format =
          b.java(
              "kafka.tools.StorageTool",
              "format",
              "-t",
              Uuid.randomUuid().toString(),
              "-c",
              b.config.toString());
      if (!format.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
        format.destroyForcibly();
        throw new IllegalStateException("kafka storage format failed: " + b.tail());
      }
      b.start();
      return b;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code host:port} for {@code bootstrap.servers}; the same across {@link #stop}/{@link #start}.
   */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts the broker (again, on the same port and log directory) and waits until it serves. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("kafka is running");
    }
    try {
      process = java("kafka.Kafka", config.toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    long until = System.nanoTime() + START_TIMEOUT.toNanos();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                5000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                2000))) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("kafka exited: " + tail());
        }
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception notYet) {
          // not serving yet
        }
        if (System.nanoTime() > until) {
          throw new IllegalStateException(
              "kafka did not start in " + START_TIMEOUT + ": " + tail());
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills the broker (SIGKILL): a destination that is down. {@link #start} brings it back. */
  public synchronized void stop() {
    kill();
  }

  private synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Process java(String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // small: one test broker shares two cores with the rest of the build
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(List.of(args));
    Files.writeString(
        log,
        "=== " + Instant.now() + " " + String.join(" ", mainClass, String.join(" ", args)) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("MQTTGRID_LOG_LEVEL", "WARN");
    return pb.start();
  }

  private String tail() {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The directory it runs in (configuration, data, log). */
  public Path directory() {
    return dir;
  }

  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }
}
