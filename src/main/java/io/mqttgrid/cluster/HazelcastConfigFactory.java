package io.mqttgrid.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import io.mqttgrid.retain.HazelcastRetainedStore;
import io.mqttgrid.session.HazelcastSessionStore;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.io.FileNotFoundException;
import java.nio.file.Path;

/**
 * The Hazelcast member configuration of a node: the embedded one-member cluster by default ({@code local}),
 * or an operator's file ({@code file}). Either way the maps the broker relies on get their backups and
 * formats here unless the file sets them, and Vert.x's own structures are kept.
 */
public final class HazelcastConfigFactory {

  private static final String SESSIONS = HazelcastSessionStore.SESSIONS;
  private static final String QUEUES = HazelcastSessionStore.QUEUES;
  private static final String CONNECTIONS = HazelcastSessionStore.CONNECTIONS;
  private static final String RETAINED = HazelcastRetainedStore.MAP;

  private HazelcastConfigFactory() {
  }

  /** A member that joins nobody: loopback only, its own cluster name, ports from {@code port} upwards. */
  public static Config local(String nodeId, int port) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName("mqttgrid-local-" + nodeId);
    config.setInstanceName("mqttgrid-" + nodeId);
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(true).setPortCount(200);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    return common(config);
  }

  /** An operator's Hazelcast XML or YAML file. */
  public static Config fromFile(Path file) {
    try {
      Config config = Config.loadFromFile(file.toFile());
      Config vertxDefaults = ConfigUtil.loadConfig();
      for (String name : new String[] {"__vertx.haInfo", "__vertx.nodeInfo"}) {
        if (config.getMapConfigOrNull(name) == null) {
          config.addMapConfig(vertxDefaults.getMapConfig(name));
        }
      }
      if (config.getMultiMapConfigs().get("__vertx.subs") == null) {
        MultiMapConfig subs = vertxDefaults.getMultiMapConfig("__vertx.subs");
        config.addMultiMapConfig(subs);
      }
      return common(config);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("Hazelcast configuration file not found: " + file);
    }
  }

  private static Config common(Config config) {
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // the broker stops Hazelcast itself, after its clients were told (graceful shutdown)
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Session records, queues and connections: one synchronous backup, so a node may die (ARCHITECTURE.md 2).
    // Queues are changed in place by entry processors, hence OBJECT format.
    addIfAbsent(config, new MapConfig(SESSIONS).setBackupCount(1).setInMemoryFormat(InMemoryFormat.OBJECT));
    addIfAbsent(config, new MapConfig(QUEUES).setBackupCount(1).setInMemoryFormat(InMemoryFormat.OBJECT));
    addIfAbsent(config, new MapConfig(CONNECTIONS).setBackupCount(1));
    addIfAbsent(config, new MapConfig(RETAINED).setBackupCount(1));
    return config;
  }

  private static void addIfAbsent(Config config, MapConfig map) {
    if (config.getMapConfigOrNull(map.getName()) == null) {
      config.addMapConfig(map);
    }
  }
}
