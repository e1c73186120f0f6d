package io.mqttgrid.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The takeover and failover scenarios of the cluster tests, run on the container image built from
 * the repository's Dockerfile. Runs where a Docker engine exists; reported skipped where none does
 * (the multi-process cluster tests cover the same scenarios there).
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerFailoverClusterIT {

  static final ImageFromDockerfile IMAGE =
      new ImageFromDockerfile("mqttgrid-it", false)
          .withFileFromPath(".", Path.of(System.getProperty("user.dir")));
  static Network network;
  static GenericContainer<?> n1;
  static GenericContainer<?> n2;

  @BeforeAll
  static void start() {
    network = Network.newNetwork();
    n1 = node("n1");
    n2 = node("n2");
    n1.start();
    n2.start();
  }

  @AfterAll
  static void stop() {
    if (n2 != null) {
      n2.stop();
    }
    if (n1 != null) {
      n1.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  static GenericContainer<?> node(String id) {
    return new GenericContainer<>(IMAGE)
        .withNetwork(network)
        .withNetworkAliases(id)
        .withEnv("MQTTGRID_NODE_ID", id)
        .withEnv("MQTTGRID_CLUSTER_MODE", "tcp")
        .withEnv("MQTTGRID_CLUSTER_MEMBERS", "n1:5701,n2:5701")
        .withEnv("MQTTGRID_CLUSTER_EVENTBUS_PORT", "5801")
        // clients come from the Docker host, not loopback
        .withEnv("MQTTGRID_AUTH_ANONYMOUS", "true")
        .withExposedPorts(1883, 8088)
        .waitingFor(
            Wait.forHttp("/health/ready")
                .forPort(8088)
                .forStatusCode(200)
                .withStartupTimeout(Duration.ofMinutes(3)));
  }

  static Mqtt5BlockingClient client(GenericContainer<?> node, String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost(node.getHost())
        .serverPort(node.getMappedPort(1883))
        .buildBlocking();
  }

  @Test
  void aSessionFollowsItsClientToTheOtherContainer() {
    Mqtt5BlockingClient first = client(n1, "container-mover");
    first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    first.subscribeWith().topicFilter("container/mover").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient second = client(n2, "container-mover");
    assertThat(
            second
                .connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(300)
                .send()
                .isSessionPresent())
        .isTrue();
    second.disconnectWith().sessionExpiryInterval(0).send();
  }

  @Test
  void messagesForASessionOfAKilledContainerAreDeliveredOnTheSurvivor() throws Exception {
    GenericContainer<?> victim = n1;
    Mqtt5BlockingClient sub = client(victim, "container-survivor");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    sub.subscribeWith().topicFilter("container/failover").qos(MqttQos.AT_LEAST_ONCE).send();
    victim.getDockerClient().killContainerCmd(victim.getContainerId()).exec();

    Mqtt5BlockingClient pub = client(n2, "container-publisher");
    pub.connect();
    long deadline = System.currentTimeMillis() + 60_000;
    boolean acknowledged = false;
    while (!acknowledged && System.currentTimeMillis() < deadline) {
      // until the survivor has adopted the session, a publish towards the dead node fails and is
      // retried
      try {
        var result =
            pub.publishWith()
                .topic("container/failover")
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload("after the kill".getBytes(StandardCharsets.UTF_8))
                .send();
        acknowledged =
            result instanceof Mqtt5PublishResult.Mqtt5Qos1Result r
                && !r.getPubAck().getReasonCode().isError();
      } catch (RuntimeException refused) {
        acknowledged = false; // PUBACK with an error reason code
      }
      if (!acknowledged) {
        Thread.sleep(500);
      }
    }
    assertThat(acknowledged).isTrue();
    Mqtt5BlockingClient back = client(n2, "container-survivor");
    assertThat(
            back.connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(300)
                .send()
                .isSessionPresent())
        .isTrue();
    try (var inbox = back.publishes(MqttGlobalPublishFilter.ALL)) {
      Optional<Mqtt5Publish> got = inbox.receive(20, TimeUnit.SECONDS);
      assertThat(got).isPresent();
      assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("after the kill");
    }
    back.disconnectWith().sessionExpiryInterval(0).send();
    pub.disconnect();
  }
}
