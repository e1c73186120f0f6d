package io.mqttgrid.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.DiscoveryStrategyConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.InMemoryYamlConfig;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.hazelcast.BrokerSerialization;
import io.mqttgrid.hazelcast.HazelcastPendingEvents;
import io.mqttgrid.hazelcast.HazelcastRetainedStore;
import io.mqttgrid.hazelcast.HazelcastSessionSequence;
import io.mqttgrid.hazelcast.HazelcastSessionStore;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The Hazelcast member configuration of a node, chosen by {@code cluster.mode}: one of the
 * commented files of {@code cluster-config/} packed into the jar ({@code local}, {@code tcp},
 * {@code kubernetes}), or an operator's file ({@code file}). In all of them {@code ${key}} stands
 * for a broker configuration key, so the broker's YAML, environment variables and {@code --set}
 * feed Hazelcast. Whatever the file, the broker's maps and Vert.x's own structures are there
 * afterwards.
 */
public final class HazelcastConfigFactory {

  /**
   * The split-brain protection the broker maps refer to in {@code tcp.yaml} and {@code
   * kubernetes.yaml}.
   */
  public static final String SPLIT_BRAIN_PROTECTION = "mqttgrid-split-brain-protection";

  static final String RESOURCE_DIR = "/cluster-config/";

  /** Hazelcast's property: whether the member port listens on every address. */
  static final String BIND_ANY = "hazelcast.socket.bind.any";

  private static final String SESSIONS = HazelcastSessionStore.SESSIONS;
  private static final String QUEUES = HazelcastSessionStore.QUEUES;
  private static final String CONNECTIONS = HazelcastSessionStore.CONNECTIONS;
  private static final String RETAINED = HazelcastRetainedStore.MAP;

  private HazelcastConfigFactory() {}

  /** The member configuration for {@code config.clusterMode}. */
  public static Config create(BrokerConfig config) {
    Properties variables = variables(config);
    Config hz =
        config.clusterMode.equals("file")
            ? fromFile(Path.of(config.clusterConfigFile), variables)
            : fromResource(config.clusterMode + ".yaml", variables);
    return complete(hz, config.clusterBackupCount);
  }

  /**
   * The values {@code ${key}} stands for: every broker configuration key, with {@code node.id}
   * resolved (a random id when the key is empty).
   */
  public static Properties variables(BrokerConfig config) {
    Properties p = new Properties();
    for (Map.Entry<String, String> e : config.values().entrySet()) {
      p.setProperty(e.getKey(), e.getValue());
    }
    p.setProperty("node.id", config.nodeId);
    return p;
  }

  /**
   * One of the packaged files, e.g. {@code tcp.yaml}, with its variables replaced; not yet
   * completed.
   */
  static Config fromResource(String name, Properties variables) {
    String path = RESOURCE_DIR + name;
    try (InputStream in = HazelcastConfigFactory.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            "Hazelcast configuration " + path + " is missing from the build");
      }
      Config config =
          new InMemoryYamlConfig(new String(in.readAllBytes(), StandardCharsets.UTF_8), variables);
      return bindOnlyNamedInterfaces(unsetBlanks(config));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** An operator's Hazelcast XML or YAML file, with the same variables as the packaged files. */
  static Config fromFile(Path file, Properties variables) {
    try {
      return bindOnlyNamedInterfaces(unsetBlanks(Config.loadFromFile(file.toFile(), variables)));
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("Hazelcast configuration file not found: " + file);
    }
  }

  /**
   * Hazelcast binds its member port to every address unless told otherwise, whatever the interfaces
   * say (they choose only the address it announces): a loopback node would take members
   * (unauthenticated, they read and change every map) from the network. Where interfaces are named,
   * the port binds only there, unless the operator's file or a system property says otherwise.
   */
  private static Config bindOnlyNamedInterfaces(Config config) {
    if (!config.getNetworkConfig().getInterfaces().getInterfaces().isEmpty()
        && config.getProperty(BIND_ANY) == null
        && System.getProperty(BIND_ANY) == null) {
      config.setProperty(BIND_ANY, "false");
    }
    return config;
  }

  /**
   * An empty broker key means "not set", but Hazelcast takes an empty value literally (an empty
   * interface, an empty DNS name to look up): such values are removed here, so the files can name
   * every key.
   */
  private static Config unsetBlanks(Config config) {
    NetworkConfig network = config.getNetworkConfig();
    if (network.getPublicAddress() != null && network.getPublicAddress().isBlank()) {
      network.setPublicAddress(null);
    }
    InterfacesConfig interfaces = network.getInterfaces();
    List<String> named = new ArrayList<>();
    for (String i : interfaces.getInterfaces()) {
      if (i != null && !i.isBlank()) {
        named.add(i.trim());
      }
    }
    interfaces.setInterfaces(named);
    if (named.isEmpty()) {
      interfaces.setEnabled(false);
    }
    JoinConfig join = network.getJoin();
    for (var discovery :
        List.of(
            join.getKubernetesConfig(),
            join.getAwsConfig(),
            join.getGcpConfig(),
            join.getAzureConfig(),
            join.getEurekaConfig())) {
      discovery.getProperties().values().removeIf(v -> v == null || v.isBlank());
    }
    for (DiscoveryStrategyConfig strategy :
        join.getDiscoveryConfig().getDiscoveryStrategyConfigs()) {
      strategy.getProperties().values().removeIf(v -> v == null || v.toString().isBlank());
    }
    return config;
  }

  /**
   * What the broker needs whatever the file says: its own properties, its serialization, Vert.x's
   * structures, and the broker maps with their backups and formats unless the file configures them.
   */
  static Config complete(Config config, int backupCount) {
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // the broker stops Hazelcast itself, after its clients were told (graceful shutdown)
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    if (config.getProperty("hazelcast.wait.seconds.before.join") == null) {
      config.setProperty("hazelcast.wait.seconds.before.join", "0");
    }
    BrokerSerialization.register(config.getSerializationConfig());
    HazelcastSessionSequence.configure(config, backupCount);
    HazelcastPendingEvents.configure(config, backupCount);
    Config vertxDefaults = ConfigUtil.loadConfig();
    for (String name : new String[] {"__vertx.haInfo", "__vertx.nodeInfo"}) {
      if (!config.getMapConfigs().containsKey(name)) {
        config.addMapConfig(vertxDefaults.getMapConfig(name));
      }
    }
    if (!config.getMultiMapConfigs().containsKey("__vertx.subs")) {
      config.addMultiMapConfig(vertxDefaults.getMultiMapConfig("__vertx.subs"));
    }
    // Sessions and queues are changed in place by entry processors, hence OBJECT
    // (docs/architecture.md, "Where state lives").
    addIfAbsent(
        config,
        new MapConfig(SESSIONS)
            .setBackupCount(backupCount)
            .setInMemoryFormat(InMemoryFormat.OBJECT));
    addIfAbsent(
        config,
        new MapConfig(QUEUES).setBackupCount(backupCount).setInMemoryFormat(InMemoryFormat.OBJECT));
    addIfAbsent(config, new MapConfig(CONNECTIONS).setBackupCount(backupCount));
    addIfAbsent(config, new MapConfig(RETAINED).setBackupCount(backupCount));
    return config;
  }

  // exact names only: an operator's wildcard (mqttgrid.*) must not hide the broker's settings
  private static void addIfAbsent(Config config, MapConfig map) {
    if (!config.getMapConfigs().containsKey(map.getName())) {
      config.addMapConfig(map);
    }
  }
}
