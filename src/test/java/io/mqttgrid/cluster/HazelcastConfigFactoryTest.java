package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.spi.merge.LatestUpdateMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.hazelcast.BrokerSerialization;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each file of cluster-config/ parses into the Hazelcast configuration its comments promise. */
class HazelcastConfigFactoryTest {

  private static final List<String> BROKER_MAPS =
      List.of("mqttgrid.sessions", "mqttgrid.queues", "mqttgrid.connections", "mqttgrid.retained");

  @TempDir Path dir;

  private static Config config(String... keyValues) {
    Map<String, String> overrides = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      overrides.put(keyValues[i], keyValues[i + 1]);
    }
    return HazelcastConfigFactory.create(BrokerConfig.of(overrides));
  }

  @Test
  void localModeIsAOneMemberClusterOnLoopbackThatJoinsNobody() {
    Config c = config("node.id", "n7", "cluster.port", "6100");
    assertThat(c.getClusterName()).isEqualTo("mqttgrid-local-n7");
    assertThat(c.getInstanceName()).isEqualTo("mqttgrid-n7");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(6100);
    assertThat(c.getNetworkConfig().isPortAutoIncrement()).isTrue();
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(c.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertBrokerMaps(c, 1);
    assertVertxStructures(c);
    assertBrokerSerialization(c);
  }

  @Test
  void tcpModeTakesMembersPortInterfaceNameAndBackupsFromTheBrokerKeys() {
    Config c =
        config(
            "node.id",
            "n2",
            "cluster.mode",
            "tcp",
            "cluster.name",
            "grid-a",
            "cluster.members",
            "127.0.0.1:5701,127.0.0.1:5702, 127.0.0.1:5703",
            "cluster.port",
            "5702",
            "cluster.interface",
            "127.0.0.1",
            "cluster.backup-count",
            "2");
    assertThat(c.getClusterName()).isEqualTo("grid-a");
    assertThat(c.getInstanceName()).isEqualTo("mqttgrid-n2");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5702);
    assertThat(c.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(c.getNetworkConfig().isReuseAddress()).isTrue();
    assertThat(c.getNetworkConfig().getPublicAddress()).isNull();
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers())
        .containsExactly("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(c.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("15");
    assertBrokerMaps(c, 2);
    assertMergeAndSplitBrainSettings(c);
    assertVertxStructures(c);
    assertBrokerSerialization(c);
    SplitBrainProtectionConfig protection =
        c.getSplitBrainProtectionConfig(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION);
    assertThat(protection.isEnabled()).isFalse();
  }

  @Test
  void tcpModeWithoutInterfaceLetsHazelcastPickAndAnnouncesAPublicAddressWhenGiven() {
    Config c =
        config(
            "cluster.mode",
            "tcp",
            "cluster.members",
            "10.0.0.11:5701,10.0.0.12:5701",
            "cluster.public-address",
            "203.0.113.7:15701");
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).isEmpty();
    assertThat(c.getNetworkConfig().getPublicAddress()).isEqualTo("203.0.113.7:15701");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5701);
  }

  @Test
  void splitBrainProtectionFollowsItsKeys() {
    Config c =
        config(
            "cluster.mode",
            "tcp",
            "cluster.members",
            "127.0.0.1:5701",
            "cluster.split-brain-protection.enabled",
            "true",
            "cluster.split-brain-protection.minimum-members",
            "3");
    SplitBrainProtectionConfig protection =
        c.getSplitBrainProtectionConfig(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION);
    assertThat(protection.isEnabled()).isTrue();
    assertThat(protection.getMinimumClusterSize()).isEqualTo(3);
    // writes only: a node starting before its peers must still read the retained topics
    assertThat(protection.getProtectOn()).isEqualTo(SplitBrainProtectionOn.WRITE);
  }

  @Test
  void kubernetesModeUsesTheHeadlessServiceDnsAndDropsEmptyKeys() {
    Config c =
        config(
            "cluster.mode",
            "kubernetes",
            "cluster.kubernetes.service-dns",
            "mqttgrid-hz.mqttgrid.svc.cluster.local");
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperties())
        .containsExactly(Map.entry("service-dns", "mqttgrid-hz.mqttgrid.svc.cluster.local"));
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertBrokerMaps(c, 1);
    assertMergeAndSplitBrainSettings(c);
    assertVertxStructures(c);
    assertBrokerSerialization(c);
  }

  @Test
  void kubernetesApiModeTakesNamespaceAndServiceName() {
    Config c =
        config(
            "cluster.mode",
            "kubernetes",
            "cluster.kubernetes.namespace",
            "iot",
            "cluster.kubernetes.service-name",
            "mqttgrid");
    assertThat(c.getNetworkConfig().getJoin().getKubernetesConfig().getProperties())
        .containsOnly(Map.entry("namespace", "iot"), Map.entry("service-name", "mqttgrid"));
  }

  @Test
  void tcpAndKubernetesFilesConfigureTheBrokerMapsAlike() {
    Config tcp = config("cluster.mode", "tcp", "cluster.members", "127.0.0.1:5701");
    Config k8s = config("cluster.mode", "kubernetes");
    for (String name : BROKER_MAPS) {
      assertThat(k8s.getMapConfigs().get(name)).as(name).isEqualTo(tcp.getMapConfigs().get(name));
    }
  }

  @Test
  void anOperatorsFileGetsTheVariablesVertxStructuresAndBrokerMaps() throws IOException {
    Path file = dir.resolve("hazelcast.xml");
    Files.writeString(
        file,
        """
        <hazelcast xmlns="http://www.hazelcast.com/schema/config">
          <cluster-name>${cluster.name}-eu</cluster-name>
          <network>
            <port auto-increment="false">${cluster.port}</port>
            <join>
              <multicast enabled="false"/>
              <tcp-ip enabled="true"><members>${cluster.members}</members></tcp-ip>
            </join>
          </network>
          <map name="mqttgrid.retained"><backup-count>3</backup-count></map>
        </hazelcast>
        """);
    Config c =
        config(
            "cluster.mode",
            "file",
            "cluster.config-file",
            file.toString(),
            "cluster.port",
            "5800",
            "cluster.members",
            "10.1.0.1:5800,10.1.0.2:5800");
    assertThat(c.getClusterName()).isEqualTo("mqttgrid-eu");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5800);
    assertThat(c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("10.1.0.1:5800", "10.1.0.2:5800");
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertVertxStructures(c);
    assertBrokerSerialization(c);
    // what the file sets stays; what it leaves out is the broker's default
    assertThat(c.getMapConfig("mqttgrid.retained").getBackupCount()).isEqualTo(3);
    assertThat(c.getMapConfig("mqttgrid.sessions").getInMemoryFormat())
        .isEqualTo(InMemoryFormat.OBJECT);
    assertThat(c.getMapConfig("mqttgrid.queues").getInMemoryFormat())
        .isEqualTo(InMemoryFormat.OBJECT);
    assertThat(c.getMapConfig("mqttgrid.connections").getBackupCount()).isEqualTo(1);
  }

  @Test
  void variablesAreTheBrokerKeysWithTheResolvedNodeId() {
    BrokerConfig broker = BrokerConfig.of(Map.of("cluster.eventbus-port", "5801"));
    var variables = HazelcastConfigFactory.variables(broker);
    assertThat(variables.getProperty("node.id")).isEqualTo(broker.nodeId).startsWith("node-");
    assertThat(variables.getProperty("cluster.eventbus-port")).isEqualTo("5801");
    assertThat(variables.getProperty("mqtt.port")).isEqualTo("1883");
  }

  private static void assertBrokerMaps(Config c, int backups) {
    for (String name : BROKER_MAPS) {
      MapConfig map = c.getMapConfigs().get(name);
      assertThat(map).as(name + " is configured by name").isNotNull();
      assertThat(map.getBackupCount()).as(name + " backups").isEqualTo(backups);
      assertThat(map.getAsyncBackupCount()).as(name + " async backups").isZero();
    }
    assertThat(c.getMapConfig("mqttgrid.sessions").getInMemoryFormat())
        .isEqualTo(InMemoryFormat.OBJECT);
    assertThat(c.getMapConfig("mqttgrid.queues").getInMemoryFormat())
        .isEqualTo(InMemoryFormat.OBJECT);
  }

  private static void assertMergeAndSplitBrainSettings(Config c) {
    assertThat(c.getSplitBrainProtectionConfig(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION))
        .isNotNull();
    for (String name : BROKER_MAPS) {
      MapConfig map = c.getMapConfig(name);
      assertThat(map.getMergePolicyConfig().getPolicy())
          .as(name + " merge policy")
          .isIn("LatestUpdateMergePolicy", LatestUpdateMergePolicy.class.getName());
      // LatestUpdateMergePolicy compares update times, which exist only with per-entry statistics
      assertThat(map.isPerEntryStatsEnabled()).as(name + " per-entry stats").isTrue();
      assertThat(map.getSplitBrainProtectionName())
          .isEqualTo(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION);
    }
  }

  /** Every member, whatever its file, reads the broker's entry processors and stored sessions. */
  private static void assertBrokerSerialization(Config c) {
    assertThat(c.getSerializationConfig().getDataSerializableFactories())
        .containsKey(BrokerSerialization.FACTORY_ID);
    assertThat(c.getSerializationConfig().getSerializerConfigs())
        .extracting(SerializerConfig::getTypeClass)
        .contains(SessionRecord.class, SessionQueue.class);
  }

  private static void assertVertxStructures(Config c) {
    assertThat(c.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(c.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }
}
