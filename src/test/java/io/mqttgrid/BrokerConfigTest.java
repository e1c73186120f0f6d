package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.auth.AnonymousAuthenticator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsComeFromTheShippedFile() {
    BrokerConfig c = BrokerConfig.load(null, Map.of(), Map.of());
    assertThat(c.mqttPort).isEqualTo(1883);
    assertThat(c.websocketPort).isEqualTo(8080);
    assertThat(c.tlsPort).isEqualTo(8883);
    assertThat(c.wssPort).isEqualTo(8443);
    assertThat(c.limits.maxPacketSize()).isEqualTo(512 * 1024);
    assertThat(c.limits.maxTopicLength()).isEqualTo(256);
    assertThat(c.limits.maxTopicLevels()).isEqualTo(15);
    assertThat(c.limits.topicAliasMaximum()).isEqualTo(10);
    assertThat(c.limits.maxKeepAlive()).isEqualTo(1160);
    assertThat(c.limits.maxQos()).isEqualTo(2);
    assertThat(c.maxQueuedMessages).isEqualTo(100);
    assertThat(c.anonymous).isEqualTo(AnonymousAuthenticator.Access.LOOPBACK_ONLY);
    assertThat(c.tlsEnabled()).isFalse();
    assertThat(c.nodeId).startsWith("node-");
  }

  @Test
  void theTimeoutsThatDependOnEachOtherAreCheckedTogether() {
    BrokerConfig c = BrokerConfig.of(Map.of());
    assertThat(c.remoteDeliveryTimeoutMillis).isEqualTo(10_000);
    assertThat(c.routeAnnounceTimeoutMillis).isEqualTo(2_000);
    assertThat(c.sessionHandoverTimeoutMillis).isEqualTo(2_000);
    assertThat(c.httpPublishTimeoutMillis).isEqualTo(30_000);
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.remote-delivery-timeout", "40")))
        .hasMessageContaining("http.publish-timeout")
        .hasMessageContaining("cluster.remote-delivery-timeout");
    assertThat(
            BrokerConfig.of(
                    Map.of("cluster.remote-delivery-timeout", "40", "http.publish-timeout", "60"))
                .httpPublishTimeoutMillis)
        .isEqualTo(60_000);
  }

  @Test
  void everyKeyHasAnEnvironmentVariable() {
    assertThat(BrokerConfig.envName("mqtt.port")).isEqualTo("MQTTGRID_MQTT_PORT");
    assertThat(BrokerConfig.envName("limits.max-packet-size"))
        .isEqualTo("MQTTGRID_LIMITS_MAX_PACKET_SIZE");
    BrokerConfig c =
        BrokerConfig.load(
            null,
            Map.of(
                "MQTTGRID_MQTT_PORT",
                "1999",
                "MQTTGRID_LIMITS_MAX_PACKET_SIZE",
                "4096",
                "MQTTGRID_SESSION_OVERFLOW",
                "terminate-session"),
            Map.of());
    assertThat(c.mqttPort).isEqualTo(1999);
    assertThat(c.limits.maxPacketSize()).isEqualTo(4096);
    assertThat(c.overflowPolicy).isEqualTo(BrokerConfig.OverflowPolicy.TERMINATE_SESSION);
  }

  @Test
  void fileThenEnvironmentThenOverridesWin() throws IOException {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "mqtt:\n  port: 2000\n  websocket-port: 2001\nlimits:\n  max-qos: 1\n");
    BrokerConfig c =
        BrokerConfig.load(
            file, Map.of("MQTTGRID_MQTT_WEBSOCKET_PORT", "3001"), Map.of("limits.max-qos", "0"));
    assertThat(c.mqttPort).isEqualTo(2000);
    assertThat(c.websocketPort).isEqualTo(3001);
    assertThat(c.limits.maxQos()).isZero();
  }

  @Test
  void unknownKeysAndBadValuesAreRefusedWithTheirName() throws IOException {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, "mqtt:\n  prot: 2000\n");
    assertThatThrownBy(() -> BrokerConfig.load(file, Map.of(), Map.of()))
        .hasMessageContaining("unknown configuration key 'mqtt.prot'");
    // --set keys too (the command line passes them as overrides)
    assertThatThrownBy(() -> BrokerConfig.load(null, Map.of(), Map.of("management.prot", "1")))
        .hasMessageContaining("unknown configuration key 'management.prot'");
    assertThat(BrokerConfig.load(null, Map.of(), Map.of("management.port", "9191")).managementPort)
        .isEqualTo(9191);
    assertThat(BrokerConfig.knownKeys())
        .contains("namespace.file", "management.token", "http.tls-port");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("limits.max-qos", "3")))
        .hasMessageContaining("limits.max-qos")
        .hasMessageContaining("MQTTGRID_LIMITS_MAX_QOS");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("mqtt.port", "abc")))
        .hasMessageContaining("whole number");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("auth.anonymous", "maybe")))
        .hasMessageContaining("auth.anonymous");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("http.port", "1883")))
        .hasMessageContaining("http.port and mqtt.port are both 1883");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("tls.cert-file", "/x.pem")))
        .hasMessageContaining("tls.key-file");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.mode", "file")))
        .hasMessageContaining("cluster.config-file");
  }

  @Test
  void clusterKeysDefaultToALocalOneMemberCluster() {
    BrokerConfig c = BrokerConfig.load(null, Map.of(), Map.of());
    assertThat(c.clusterMode).isEqualTo("local");
    assertThat(c.clusterName).isEqualTo("mqttgrid");
    assertThat(c.clusterPort).isEqualTo(5701);
    assertThat(c.clusterMembers).isEmpty();
    assertThat(c.clusterInterface).isEmpty();
    assertThat(c.clusterPublicAddress).isEmpty();
    assertThat(c.clusterEventBusHost).isEmpty();
    assertThat(c.clusterEventBusPort).isZero();
    assertThat(c.clusterBackupCount).isEqualTo(1);
    assertThat(c.splitBrainProtection).isFalse();
    assertThat(c.splitBrainMinimumMembers).isEqualTo(2);
    assertThat(c.values())
        .containsKeys(
            "cluster.kubernetes.service-dns",
            "cluster.kubernetes.namespace",
            "cluster.kubernetes.service-name");
  }

  @Test
  void clusterKeysComeFromTheirEnvironmentVariables() {
    BrokerConfig c =
        BrokerConfig.load(
            null,
            Map.of(
                "MQTTGRID_CLUSTER_MODE", "tcp",
                "MQTTGRID_CLUSTER_MEMBERS", "10.0.0.11:5701,10.0.0.12:5701",
                "MQTTGRID_CLUSTER_PORT", "5702",
                "MQTTGRID_CLUSTER_INTERFACE", "10.0.0.*",
                "MQTTGRID_CLUSTER_EVENTBUS_HOST", "10.0.0.11",
                "MQTTGRID_CLUSTER_EVENTBUS_PORT", "5801",
                "MQTTGRID_CLUSTER_BACKUP_COUNT", "2",
                "MQTTGRID_CLUSTER_SPLIT_BRAIN_PROTECTION_ENABLED", "true",
                "MQTTGRID_CLUSTER_SPLIT_BRAIN_PROTECTION_MINIMUM_MEMBERS", "3",
                "MQTTGRID_CLUSTER_KUBERNETES_SERVICE_DNS", "hz.iot.svc.cluster.local"),
            Map.of());
    assertThat(c.clusterMode).isEqualTo("tcp");
    assertThat(c.clusterMembers).isEqualTo("10.0.0.11:5701,10.0.0.12:5701");
    assertThat(c.clusterPort).isEqualTo(5702);
    assertThat(c.clusterInterface).isEqualTo("10.0.0.*");
    assertThat(c.clusterEventBusHost).isEqualTo("10.0.0.11");
    assertThat(c.clusterEventBusPort).isEqualTo(5801);
    assertThat(c.clusterBackupCount).isEqualTo(2);
    assertThat(c.splitBrainProtection).isTrue();
    assertThat(c.splitBrainMinimumMembers).isEqualTo(3);
    assertThat(c.values())
        .containsEntry("cluster.kubernetes.service-dns", "hz.iot.svc.cluster.local");
  }

  @Test
  void clusterSettingsThatCannotWorkAreRefused() {
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.mode", "multicast")))
        .hasMessageContaining("cluster.mode")
        .hasMessageContaining("local, tcp, kubernetes, file");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.mode", "tcp")))
        .hasMessageContaining("cluster.members")
        .hasMessageContaining("MQTTGRID_CLUSTER_MEMBERS");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.backup-count", "7")))
        .hasMessageContaining("cluster.backup-count");
    assertThatThrownBy(
            () -> BrokerConfig.of(Map.of("cluster.split-brain-protection.minimum-members", "1")))
        .hasMessageContaining("MQTTGRID_CLUSTER_SPLIT_BRAIN_PROTECTION_MINIMUM_MEMBERS");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.name", " ")))
        .hasMessageContaining("cluster.name");
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("cluster.local-port", "5701")))
        .hasMessageContaining("unknown configuration key 'cluster.local-port'");
    assertThat(BrokerConfig.of(Map.of("cluster.mode", "kubernetes")).clusterMode)
        .isEqualTo("kubernetes");
  }
}
