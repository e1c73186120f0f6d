package io.mqttgrid;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar mqttgrid.jar [--config FILE] [--set key=value ...]}. */
public final class Main {

  private static final String FORK_JOIN_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  static {
    // Hazelcast completes its own futures and callbacks on the common fork-join pool, unless that
    // pool has a
    // single thread (machines with two cores): then it starts a thread per callback. Beyond the
    // cost (about a
    // millisecond each, on the way to a SUBACK for a new filter), that mode stalled a cluster-wide
    // map
    // operation after a member was killed: the survivor's purge of the departed node's connection
    // records
    // (IMap.removeAll) waited over 60 s, its sessions were never adopted and their publishers got
    // 0x80 until
    // the end (ClusterNodeLossClusterIT, 2 cores). Two threads at least, set before the pool
    // exists.
    if (System.getProperty(FORK_JOIN_PARALLELISM) == null) {
      System.setProperty(
          FORK_JOIN_PARALLELISM,
          String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  @SuppressForbidden(reason = "usage goes to standard error, before any logging is set up")
  public static void main(String[] args) throws InterruptedException {
    // before Hazelcast's first class loads: its configuration parser logs before the member's own
    // setting applies
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    Path file = null;
    Map<String, String> overrides = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> {
          if (i + 1 >= args.length) {
            fail("--config needs a file");
          }
          file = Path.of(args[++i]);
          if (!Files.isRegularFile(file)) {
            fail("config file not found: " + file);
          }
        }
        case "--set" -> {
          if (i + 1 >= args.length || !args[i + 1].contains("=")) {
            fail("--set needs key=value");
          }
          String[] kv = args[++i].split("=", 2);
          overrides.put(kv[0], kv[1]);
        }
        case "-h", "--help" -> {
          System.err.println("usage: java -jar mqttgrid.jar [--config FILE] [--set key=value ...]");
          return;
        }
        default -> fail("unknown argument: " + args[i]);
      }
    }
    BrokerConfig config;
    try {
      // system properties include the JVM's own: only the broker's keys are taken from them, while
      // a --set
      // key the broker does not know is a typo and refused
      Map<String, String> fromProperties = new HashMap<>();
      java.util.Set<String> known = BrokerConfig.knownKeys();
      for (String key : System.getProperties().stringPropertyNames()) {
        if (known.contains(key)) {
          fromProperties.put(key, System.getProperty(key));
        }
      }
      fromProperties.putAll(overrides);
      config = BrokerConfig.load(file, System.getenv(), fromProperties);
    } catch (BrokerConfig.ConfigException e) {
      fail(e.getMessage());
      return;
    }
    Broker broker = new Broker(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    broker
                        .stop()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(config.shutdownGraceSeconds + 5L, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    LOG.warn("graceful stop did not finish: {}", e.toString());
                  }
                  stopped.countDown();
                },
                "mqttgrid-shutdown"));
    try {
      broker.start().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      LOG.error(
          "MQTT Grid could not start: {}",
          cause.getMessage() == null ? cause.toString() : cause.getMessage());
      System.exit(1);
    }
    stopped.await();
  }

  @SuppressForbidden(reason = "a start that fails on its arguments tells the person who typed them")
  private static void fail(String message) {
    System.err.println("mqttgrid: " + message);
    System.exit(2);
  }
}
