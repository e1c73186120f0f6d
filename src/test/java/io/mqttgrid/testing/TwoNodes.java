package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Two brokers in this JVM joined into one cluster over loopback TCP ({@code a} and {@code b}, by
 * their node ids), for tests of what crosses nodes without the multi-process cluster kit; started
 * and joined, closed together.
 */
public final class TwoNodes implements AutoCloseable {

  public final TestBroker a;
  public final TestBroker b;

  private TwoNodes(TestBroker a, TestBroker b) {
    this.a = a;
    this.b = b;
  }

  /** Both nodes with {@code config} (the cluster keys are set here), joined. */
  public static TwoNodes start(Path dir, Map<String, String> config) throws Exception {
    int portA = TestBroker.freePort();
    int portB = TestBroker.freePort();
    String cluster = "two-nodes-" + System.nanoTime();
    TestBroker a = node(dir, config, "a", cluster, portA, portA, portB);
    TestBroker b;
    try {
      b = node(dir, config, "b", cluster, portB, portA, portB);
    } catch (Exception | Error e) {
      a.close();
      throw e;
    }
    TwoNodes nodes = new TwoNodes(a, b);
    try {
      Await.until(
          "both nodes in one cluster",
          java.time.Duration.ofSeconds(30),
          () -> a.broker().hazelcast().getCluster().getMembers().size() == 2);
    } catch (AssertionError e) {
      nodes.close();
      throw e;
    }
    assertThat(b.broker().hazelcast().getCluster().getMembers()).hasSize(2);
    return nodes;
  }

  private static TestBroker node(
      Path dir, Map<String, String> config, String node, String cluster, int port, int... members)
      throws Exception {
    Map<String, String> all = new HashMap<>(config);
    all.put("node.id", node);
    all.put("cluster.mode", "file");
    all.put(
        "cluster.config-file",
        LoopbackHazelcast.configFile(dir, node + ".xml", cluster, port, members).toString());
    return TestBroker.start(all);
  }

  @Override
  public void close() {
    try {
      b.close();
    } finally {
      a.close();
    }
  }
}
