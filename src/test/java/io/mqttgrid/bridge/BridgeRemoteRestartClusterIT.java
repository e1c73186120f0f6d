package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TestBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge broker in this JVM bridged to node 1 of a two-node "cloud" MQTT Grid cluster, whose node
 * 1 is restarted in the middle of a 5,000-message QoS 1 stream: no message acknowledged to its
 * publisher is lost, in either direction. Up, the messages wait in the bridge's session at the edge
 * while the remote is away; down, in the bridge's persistent session at the cloud (which node 2
 * keeps while node 1 is down), and the subscriber or publisher at the cloud is on node 2.
 */
class BridgeRemoteRestartClusterIT {

  private static final int STREAM = 5_000;
  private static final int WINDOW = 200;
  private static final Map<String, String> ROOMY_SESSIONS =
      Map.of("session.max-queued-messages", "20000", "session.max-queued-bytes", "67108864");

  @TempDir static Path dir;

  static ClusterFixture cloud;
  static TestBroker edge;

  @BeforeAll
  static void start() throws Exception {
    cloud =
        ClusterFixture.start(BridgeRemoteRestartClusterIT.class.getSimpleName(), 2, ROOMY_SESSIONS);
    Path file = dir.resolve("bridges.yaml");
    Files.writeString(
        file,
        """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: "%s:%d", clientIdPrefix: edge-}
        dataflows:
          - name: restart-up
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: default, dataSources: ['rs/up']}}
              - {operationType: Destination, destinationSettings: {endpointRef: cloud,
                 dataDestination: 'cloud/rs/up'}}
          - name: restart-down
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud, dataSources: ['rs/down']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default,
                 dataDestination: 'edge/rs/down'}}
        """
            .formatted(cloud.node(1).host(), cloud.node(1).mqttPort()));
    Map<String, String> settings = new HashMap<>(ROOMY_SESSIONS);
    settings.put("bridge.file", file.toString());
    settings.put("bridge.reconnect-initial-delay", "1");
    settings.put("bridge.reconnect-max-delay", "2");
    edge = TestBroker.start(settings);
    BridgeAwait.connected(edge, "restart-up", "restart-down");
  }

  @AfterAll
  static void stop() throws Exception {
    Closeables.closeAll(edge, cloud);
  }

  @Test
  void aRestartOfTheRemoteMidStreamLosesNoAcknowledgedMessageLocalToRemote() throws Exception {
    Mqtt5AsyncClient cloudSub =
        QosOneStream.client(cloud.node(2).host(), cloud.node(2).mqttPort(), "cloud-rs-sub");
    QosOneStream.Received received = QosOneStream.Received.subscribe(cloudSub, "cloud/rs/up");
    Mqtt5AsyncClient pub = QosOneStream.client("127.0.0.1", edge.mqttPort(), "edge-rs-pub");
    pub.connect().get(10, TimeUnit.SECONDS);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    restartDone = new CountDownLatch(1);
    Set<String> acknowledged =
        QosOneStream.publish(
            pub,
            "rs/up",
            "u",
            STREAM,
            WINDOW,
            STREAM / 4,
            () -> restartRemote(failed),
            Duration.ofSeconds(90));
    assertThat(restartDone.await(120, TimeUnit.SECONDS)).as("the remote's restart ended").isTrue();
    assertThat(failed.get()).isNull();
    System.out.printf(
        "restart-up: %d of %d acknowledged at the edge%n", acknowledged.size(), STREAM);
    assertThat(acknowledged).hasSize(STREAM);
    awaitRemoteBack();
    received.awaitAll(acknowledged, "restart-up");
    System.out.printf(
        "restart-up: %d deliveries of %d distinct messages%n",
        received.deliveries.get(), received.payloads.size());
    pub.disconnect().get(10, TimeUnit.SECONDS);
    cloudSub.disconnect().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRestartOfTheRemoteMidStreamLosesNoAcknowledgedMessageRemoteToLocal() throws Exception {
    Mqtt5AsyncClient edgeSub = QosOneStream.client("127.0.0.1", edge.mqttPort(), "edge-rs-sub");
    QosOneStream.Received received = QosOneStream.Received.subscribe(edgeSub, "edge/rs/down");
    Mqtt5AsyncClient pub =
        QosOneStream.client(cloud.node(2).host(), cloud.node(2).mqttPort(), "cloud-rs-pub");
    pub.connect().get(10, TimeUnit.SECONDS);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    restartDone = new CountDownLatch(1);
    Set<String> acknowledged =
        QosOneStream.publish(
            pub,
            "rs/down",
            "d",
            STREAM,
            WINDOW,
            STREAM / 4,
            () -> restartRemote(failed),
            Duration.ofSeconds(90));
    assertThat(restartDone.await(120, TimeUnit.SECONDS)).as("the remote's restart ended").isTrue();
    assertThat(failed.get()).isNull();
    System.out.printf(
        "restart-down: %d of %d acknowledged at the cloud%n", acknowledged.size(), STREAM);
    assertThat(acknowledged.size()).isGreaterThan(STREAM / 4);
    awaitRemoteBack();
    received.awaitAll(acknowledged, "restart-down");
    System.out.printf(
        "restart-down: %d deliveries of %d distinct messages%n",
        received.deliveries.get(), received.payloads.size());
    pub.disconnect().get(10, TimeUnit.SECONDS);
    edgeSub.disconnect().get(10, TimeUnit.SECONDS);
  }

  /**
   * Counted down when the restart of the remote ended: it runs on a thread of its own, and a stream
   * acknowledged at the edge (local to remote) can end while the remote is still stopping.
   */
  private static volatile CountDownLatch restartDone = new CountDownLatch(1);

  /** Restarts cloud node 1, the bridge's remote, as an operator does (SIGTERM, start again). */
  private static void restartRemote(AtomicReference<Throwable> failed) {
    try {
      cloud.restart(1);
      System.out.println("cloud node 1 restarted in the middle of the stream");
    } catch (Throwable t) {
      failed.set(t);
    } finally {
      restartDone.countDown();
    }
  }

  private static void awaitRemoteBack() {
    cloud.awaitReady(1, Duration.ofSeconds(90));
    BridgeAwait.connected(edge, "restart-up", "restart-down");
  }
}
