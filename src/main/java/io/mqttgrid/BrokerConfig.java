package io.mqttgrid;

import io.mqttgrid.auth.AnonymousAuthenticator.Access;
import io.mqttgrid.wire.MqttLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The broker's typed configuration. The shipped {@code config/mqttgrid.yaml} (packaged as a
 * resource) holds every key with its default, so a key unknown to it is a typo and is refused
 * rather than ignored.
 */
public final class BrokerConfig {

  static final String DEFAULTS_RESOURCE = "/config/mqttgrid.yaml";
  static final String ENV_PREFIX = "MQTTGRID_";

  public enum OverflowPolicy {
    DROP_NEW,
    TERMINATE_SESSION
  }

  public static final List<String> CLUSTER_MODES = List.of("local", "tcp", "kubernetes", "file");

  private final Map<String, String> values;

  public final String nodeId;
  public final String mqttHost;
  public final int mqttPort;
  public final int mqttInstances;
  public final int websocketPort;
  public final int tlsPort;
  public final int wssPort;
  public final int connectTimeoutSeconds;

  /** Open MQTT sockets on this node; 0 = the file-descriptor limit less a reserve. */
  public final int mqttMaxConnections;

  /** MQTT sockets whose CONNECT is not accepted yet: in total, per source address; 0 = no cap. */
  public final int mqttMaxUnauthenticated;

  public final int mqttMaxUnauthenticatedPerAddress;

  /** New MQTT sockets per second per source address; 0 = no limit. */
  public final int mqttConnectRatePerAddress;

  /** Largest CONNECT packet read from a socket that is not authenticated yet. */
  public final int mqttMaxConnectSize;

  public final String tlsCertFile;
  public final String tlsKeyFile;
  public final MqttLimits limits;
  public final int maxQueuedMessages;
  public final long maxQueuedBytes;
  public final int maxPendingMessages;
  public final long maxPendingBytes;

  /** Messages not sent yet that a connected persistent session's stored queue keeps. */
  public final int maxQueuedConnectedMessages;

  public final long maxQueuedConnectedBytes;

  /**
   * Share of {@code session.max-pending-*} (percent) from which a clean session holds its
   * publishers' acknowledgements back; 0: never.
   */
  public final int holdAcksAbovePendingPercent;

  /** The longest one acknowledgement is held back (milliseconds). */
  public final long holdAcksMaxMillis;

  public final OverflowPolicy overflowPolicy;
  public final int maxOutboundBuffered;
  public final long maxOutboundBufferedBytes;
  public final long maxInflightBytes;
  public final Access anonymous;

  /** Seconds of clock skew allowed on JWT exp/nbf/iat, the same for MQTT and HTTP. */
  public final int jwtClockSkewSeconds;

  public final String httpHost;
  public final int httpPort;
  public final int httpTlsPort;
  public final int httpInstances;

  /** HTTP publishes per second per identity on one node; 0 = no limit. */
  public final int httpPublishRate;

  /** Timeouts and connection cap of the HTTP port and, separately, of the HTTPS port. */
  public final io.mqttgrid.http.HttpConnectionLimits httpConnectionLimits;

  public final String namespaceFile;
  public final int namespaceWatchSeconds;
  public final String namespaceName;
  public final boolean namespaceAllowNot;
  public final io.mqttgrid.access.NamespaceLimits namespaceLimits;
  public final String managementHost;
  public final int managementPort;

  /** Static admin bearer token of the management API; empty when none is configured. */
  public final String managementToken;

  public final String managementAdminRole;
  public final io.mqttgrid.http.HttpConnectionLimits managementConnectionLimits;

  /**
   * {@code local}, {@code tcp}, {@code kubernetes} or {@code file} (see {@link #CLUSTER_MODES}).
   */
  public final String clusterMode;

  public final String clusterConfigFile;
  public final String clusterName;
  public final int clusterPort;
  public final String clusterMembers;
  public final String clusterInterface;
  public final String clusterPublicAddress;
  public final String clusterEventBusHost;
  public final int clusterEventBusPort;
  public final int clusterBackupCount;

  /**
   * How long the node waits on another node or on routing, in one place because they depend on each
   * other: an HTTP publish waits longer than a remote delivery, so that the caller hears the
   * delivery's failure.
   */
  public final long remoteDeliveryTimeoutMillis;

  public final long routeAnnounceTimeoutMillis;
  public final long sessionHandoverTimeoutMillis;
  public final long httpPublishTimeoutMillis;
  public final boolean splitBrainProtection;
  public final int splitBrainMinimumMembers;
  public final String serverReference;
  public final int shutdownGraceSeconds;

  /**
   * The declarative bridge file ({@code io.mqttgrid.bridge.BridgeFile}); empty when there is no
   * bridge.
   */
  public final String bridgeFile;

  /**
   * The dataflows and endpoints of {@link #bridgeFile}, read and checked at load; null without a
   * file.
   */
  public final io.mqttgrid.bridge.BridgeFile bridges;

  public final int bridgeWatchSeconds;
  public final int bridgeReconnectInitialSeconds;
  public final int bridgeReconnectMaxSeconds;

  /**
   * Routing of accepted messages as CloudEvents (docs/routing.md): the node's buffer, requests,
   * retry schedule and HTTPS trust; the destination and enrichments are namespace settings.
   */
  public final int routingBufferEvents;

  public final int routingMaxRequestsInFlight;
  public final List<Long> routingRetryDelaysMillis;
  public final long routingTimeoutMillis;
  public final String routingTrustedCaFile;
  public final int routingMaxDeliveryAttempts;
  public final long routingEventTimeToLiveMillis;
  public final String routingDeadLetterFile;
  public final boolean routingValidateWebhooks;
  public final int routingWebhookRequestRate;
  public final String routingValidationCallbackBaseUrl;

  /**
   * Where the state that must outlive the whole cluster is kept (docs/persistence.md); null: in
   * memory only ({@code persistence.store} none, or auto outside local mode).
   */
  public final io.mqttgrid.persistence.PersistenceSettings persistence;

  /** Client registry changes within this window from the first are one life-cycle event. */
  public final long eventsCoalesceWindowMillis;

  private BrokerConfig(Map<String, String> values) {
    this.values = values;
    String id = values.get("node.id");
    nodeId =
        id == null || id.isBlank() ? "node-" + UUID.randomUUID().toString().substring(0, 8) : id;
    mqttHost = string("mqtt.host");
    mqttPort = port("mqtt.port");
    mqttInstances = intValue("mqtt.instances", 0, 256);
    websocketPort = port("mqtt.websocket-port");
    tlsPort = port("mqtt.tls-port");
    wssPort = port("mqtt.wss-port");
    connectTimeoutSeconds = intValue("mqtt.connect-timeout", 1, 3600);
    mqttMaxConnections = intValue("mqtt.max-connections", 0, Integer.MAX_VALUE);
    mqttMaxUnauthenticated = intValue("mqtt.max-unauthenticated-connections", 0, Integer.MAX_VALUE);
    mqttMaxUnauthenticatedPerAddress =
        intValue("mqtt.max-unauthenticated-per-address", 0, Integer.MAX_VALUE);
    mqttConnectRatePerAddress = intValue("mqtt.connect-rate-per-address", 0, Integer.MAX_VALUE);
    mqttMaxConnectSize = intValue("mqtt.max-connect-size", 64, 268_435_455);
    tlsCertFile = string("tls.cert-file");
    tlsKeyFile = string("tls.key-file");
    limits =
        new MqttLimits(
            intValue("limits.max-packet-size", 64, 268_435_455),
            intValue("limits.max-topic-length", 1, 65_535),
            intValue("limits.max-topic-levels", 1, 65_535),
            intValue("limits.max-client-id-length", 23, 65_535),
            intValue("limits.topic-alias-maximum", 0, 65_535),
            intValue("limits.max-keep-alive", 1, 65_535),
            intValue("limits.receive-maximum", 1, 65_535),
            intValue("limits.max-inflight-outbound", 1, 65_535),
            intValue("limits.max-qos", 0, 2),
            boolValue("limits.retain-available"),
            intValue("limits.max-retained-payload", 0, 268_435_455),
            intValue("limits.max-subscriptions-per-session", 1, Integer.MAX_VALUE),
            intValue("limits.max-filters-per-subscribe", 1, Integer.MAX_VALUE),
            longValue("limits.max-session-expiry", 0, 0xFFFF_FFFFL),
            intValue("limits.publish-rate", 0, Integer.MAX_VALUE),
            longValue("limits.publish-bytes-rate", 0, Long.MAX_VALUE),
            intValue("limits.subscribe-rate", 0, Integer.MAX_VALUE),
            string("shutdown.server-reference"));
    maxQueuedMessages = intValue("session.max-queued-messages", 1, Integer.MAX_VALUE);
    maxQueuedBytes = longValue("session.max-queued-bytes", 1, Long.MAX_VALUE);
    maxPendingMessages = intValue("session.max-pending-messages", 1, Integer.MAX_VALUE);
    maxPendingBytes = longValue("session.max-pending-bytes", 1, Long.MAX_VALUE);
    maxQueuedConnectedMessages =
        intValue("session.max-queued-connected-messages", 1, Integer.MAX_VALUE);
    maxQueuedConnectedBytes = longValue("session.max-queued-connected-bytes", 1, Long.MAX_VALUE);
    holdAcksAbovePendingPercent = intValue("session.hold-acks-above-pending-percent", 0, 100);
    holdAcksMaxMillis = longValue("session.hold-acks-max-millis", 1, 3_600_000);
    overflowPolicy = enumValue("session.overflow", OverflowPolicy.class);
    maxOutboundBuffered = intValue("session.max-outbound-buffered", 1, Integer.MAX_VALUE);
    maxOutboundBufferedBytes = longValue("session.max-outbound-buffered-bytes", 1, Long.MAX_VALUE);
    maxInflightBytes = longValue("session.max-inflight-bytes", 1, Long.MAX_VALUE);
    anonymous = anonymousAccess(string("auth.anonymous"));
    jwtClockSkewSeconds = intValue("auth.jwt-clock-skew", 0, 600);
    httpHost = string("http.host");
    httpPort = port("http.port");
    httpTlsPort = port("http.tls-port");
    httpInstances = intValue("http.instances", 0, 256);
    httpPublishRate = intValue("http.publish-rate", 0, Integer.MAX_VALUE);
    httpConnectionLimits = httpConnectionLimits("http");
    namespaceFile = string("namespace.file");
    namespaceWatchSeconds = intValue("namespace.watch-interval", 1, 3600);
    namespaceName = string("namespace.name");
    namespaceAllowNot = boolValue("namespace.allow-not-in-queries");
    namespaceLimits =
        new io.mqttgrid.access.NamespaceLimits(
            intValue("namespace.limits.max-clients", 0, Integer.MAX_VALUE),
            intValue("namespace.limits.max-client-groups", 0, 10_000),
            intValue("namespace.limits.max-topic-spaces", 0, 10_000),
            intValue("namespace.limits.max-topic-templates", 1, 10_000),
            intValue("namespace.limits.max-permission-bindings", 0, 100_000),
            intValue("namespace.limits.max-ca-certificates", 0, 1_000),
            intValue("namespace.limits.max-role-assignments", 0, 100_000),
            intValue("namespace.limits.max-attribute-bytes", 2, 1_048_576));
    managementHost = string("management.host");
    managementPort = port("management.port");
    managementToken = string("management.token");
    managementAdminRole = string("management.admin-role");
    managementConnectionLimits = httpConnectionLimits("management");
    clusterMode = string("cluster.mode");
    clusterConfigFile = string("cluster.config-file");
    clusterName = string("cluster.name");
    clusterPort = intValue("cluster.port", 1, 65_535);
    clusterMembers = string("cluster.members");
    clusterInterface = string("cluster.interface");
    clusterPublicAddress = string("cluster.public-address");
    clusterEventBusHost = string("cluster.eventbus-host");
    clusterEventBusPort = intValue("cluster.eventbus-port", 0, 65_535);
    // Hazelcast allows at most 6 backups in total
    clusterBackupCount = intValue("cluster.backup-count", 0, 6);
    remoteDeliveryTimeoutMillis = intValue("cluster.remote-delivery-timeout", 1, 600) * 1000L;
    routeAnnounceTimeoutMillis = intValue("cluster.route-announce-timeout", 1, 60) * 1000L;
    sessionHandoverTimeoutMillis = intValue("cluster.session-handover-timeout", 1, 60) * 1000L;
    httpPublishTimeoutMillis = intValue("http.publish-timeout", 2, 3600) * 1000L;
    if (httpPublishTimeoutMillis <= remoteDeliveryTimeoutMillis) {
      throw new ConfigException(
          "http.publish-timeout ("
              + httpPublishTimeoutMillis / 1000
              + " s) must be longer than cluster.remote-delivery-timeout ("
              + remoteDeliveryTimeoutMillis / 1000
              + " s): an HTTP caller would get a timeout instead of the delivery's failure");
    }
    splitBrainProtection = boolValue("cluster.split-brain-protection.enabled");
    splitBrainMinimumMembers = intValue("cluster.split-brain-protection.minimum-members", 2, 1000);
    serverReference = string("shutdown.server-reference");
    shutdownGraceSeconds = intValue("shutdown.grace-period", 0, 3600);
    bridgeFile = string("bridge.file");
    try {
      bridges =
          bridgeFile.isBlank() ? null : io.mqttgrid.bridge.BridgeFile.read(Path.of(bridgeFile));
    } catch (io.mqttgrid.bridge.BridgeFile.BridgeConfigException e) {
      throw new ConfigException("bridge.file " + bridgeFile + ": " + e.getMessage());
    }
    bridgeWatchSeconds = intValue("bridge.watch-interval", 1, 3600);
    routingBufferEvents = intValue("routing.buffer-events", 1, 10_000_000);
    routingMaxRequestsInFlight = intValue("routing.max-requests-in-flight", 1, 1000);
    routingRetryDelaysMillis = millisList("routing.retry-delays-ms");
    routingTimeoutMillis = longValue("routing.timeout-ms", 1, 600_000);
    routingTrustedCaFile = string("routing.trusted-ca-file");
    routingMaxDeliveryAttempts = intValue("routing.max-delivery-attempts", 1, 1000);
    routingEventTimeToLiveMillis = longValue("routing.event-time-to-live-ms", 1, 31_536_000_000L);
    routingDeadLetterFile = string("routing.dead-letter-file");
    routingValidateWebhooks = boolValue("routing.validate-webhooks");
    routingWebhookRequestRate = intValue("routing.webhook-request-rate", 0, 1_000_000);
    routingValidationCallbackBaseUrl = string("routing.validation-callback-base-url");
    if (!routingValidationCallbackBaseUrl.isEmpty()
        && !routingValidationCallbackBaseUrl.matches("(?i)https?://[^/?#\\s]+(/[^?#\\s]*)?")) {
      throw new ConfigException(
          "routing.validation-callback-base-url: an http or https URL without query, like"
              + " https://grid.example.com, not '"
              + routingValidationCallbackBaseUrl
              + "'");
    }
    eventsCoalesceWindowMillis = longValue("events.coalesce-window-ms", 1, 3_600_000);
    bridgeReconnectInitialSeconds = intValue("bridge.reconnect-initial-delay", 1, 3600);
    bridgeReconnectMaxSeconds = intValue("bridge.reconnect-max-delay", 1, 3600);
    if (bridgeReconnectMaxSeconds < bridgeReconnectInitialSeconds) {
      throw new ConfigException(
          "bridge.reconnect-max-delay ("
              + bridgeReconnectMaxSeconds
              + " s) must not be "
              + "shorter than bridge.reconnect-initial-delay ("
              + bridgeReconnectInitialSeconds
              + " s)");
    }
    if (!CLUSTER_MODES.contains(clusterMode)) {
      throw new ConfigException(
          "cluster.mode ("
              + envName("cluster.mode")
              + ") must be one of "
              + String.join(", ", CLUSTER_MODES)
              + ", got '"
              + clusterMode
              + "'");
    }
    if (clusterName.isBlank()) {
      throw new ConfigException("cluster.name must not be empty");
    }
    if (clusterMode.equals("tcp") && clusterMembers.isBlank()) {
      throw new ConfigException(
          "cluster.mode 'tcp' needs cluster.members ("
              + envName("cluster.members")
              + "), e.g. 10.0.0.11:5701,10.0.0.12:5701");
    }
    if (clusterMode.equals("file") && clusterConfigFile.isBlank()) {
      throw new ConfigException("cluster.mode 'file' needs cluster.config-file");
    }
    persistence = PersistenceConfig.read(this);
    requireDistinctPorts();
    if (tlsCertFile.isBlank() != tlsKeyFile.isBlank()) {
      throw new ConfigException("tls.cert-file and tls.key-file must be set together");
    }
  }

  private io.mqttgrid.http.HttpConnectionLimits httpConnectionLimits(String prefix) {
    return new io.mqttgrid.http.HttpConnectionLimits(
        intValue(prefix + ".idle-timeout", 1, 86_400),
        intValue(prefix + ".header-timeout", 1, 3600),
        intValue(prefix + ".body-timeout", 1, 3600),
        intValue(prefix + ".max-connections", 1, 1_000_000));
  }

  /** Two listeners on one port would silently share it (Vert.x shares servers by port): refused. */
  private void requireDistinctPorts() {
    Map<Integer, String> used = new java.util.HashMap<>();
    claimPort(used, "mqtt.port", mqttPort);
    claimPort(used, "mqtt.websocket-port", websocketPort);
    claimPort(used, "http.port", httpPort);
    claimPort(used, "management.port", managementPort);
    if (tlsEnabled()) {
      claimPort(used, "http.tls-port", httpTlsPort);
      claimPort(used, "mqtt.tls-port", tlsPort);
      claimPort(used, "mqtt.wss-port", wssPort);
    }
  }

  private static void claimPort(Map<Integer, String> used, String key, int port) {
    if (port <= 0) {
      return; // off, or any free port
    }
    String other = used.putIfAbsent(port, key);
    if (other != null) {
      throw new ConfigException(
          key + " and " + other + " are both " + port + ": each listener needs its own port");
    }
  }

  /**
   * Loads the defaults, then {@code file} (may be null), then environment and system properties.
   */
  public static BrokerConfig load(
      Path file, Map<String, String> env, Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>();
    try (InputStream in = BrokerConfig.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new ConfigException(
            "defaults resource " + DEFAULTS_RESOURCE + " is missing from the build");
      }
      flatten(
          "",
          parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULTS_RESOURCE),
          values);
    } catch (IOException e) {
      throw new ConfigException("cannot read built-in defaults: " + e.getMessage());
    }
    if (file != null) {
      Map<String, String> fromFile = new LinkedHashMap<>();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        flatten("", parse(r, file.toString()), fromFile);
      } catch (IOException e) {
        throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
      }
      for (Map.Entry<String, String> e : fromFile.entrySet()) {
        if (!values.containsKey(e.getKey())) {
          throw new ConfigException("unknown configuration key '" + e.getKey() + "' in " + file);
        }
        values.put(e.getKey(), e.getValue());
      }
    }
    for (String key : overrides.keySet()) {
      if (!values.containsKey(key)) {
        throw new ConfigException("unknown configuration key '" + key + "'");
      }
    }
    for (String key : values.keySet().toArray(new String[0])) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null) {
        values.put(key, fromEnv);
      }
      String fromOverride = overrides.get(key);
      if (fromOverride != null) {
        values.put(key, fromOverride);
      }
    }
    return new BrokerConfig(values);
  }

  /**
   * Defaults plus the given overrides (keys as in the YAML file): handy for tests and embedding.
   */
  public static BrokerConfig of(Map<String, String> overrides) {
    for (String key : overrides.keySet()) {
      Objects.requireNonNull(key);
    }
    return load(null, Map.of(), overrides);
  }

  /** {@code limits.max-packet-size} -> {@code MQTTGRID_LIMITS_MAX_PACKET_SIZE}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Every configuration key the broker knows (those of the built-in defaults). */
  public static java.util.Set<String> knownKeys() {
    return load(null, Map.of(), Map.of()).values.keySet();
  }

  /** All resolved keys and values, for the start-up log (no secrets live in this file's keys). */
  public Map<String, String> values() {
    return Map.copyOf(values);
  }

  public boolean tlsEnabled() {
    return !tlsCertFile.isBlank();
  }

  private static Object parse(Object source, String name) {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try {
      return source instanceof String s ? yaml.load(s) : yaml.load((Reader) source);
    } catch (RuntimeException e) {
      throw new ConfigException("invalid YAML in " + name + ": " + e.getMessage());
    }
  }

  private static void flatten(String prefix, Object node, Map<String, String> out) {
    if (node == null) {
      return;
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
        if (e.getValue() instanceof Map<?, ?>) {
          flatten(key, e.getValue(), out);
        } else {
          out.put(key, e.getValue() == null ? "" : String.valueOf(e.getValue()));
        }
      }
    } else {
      throw new ConfigException("configuration must be a YAML mapping");
    }
  }

  String string(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new ConfigException("missing configuration key '" + key + "'");
    }
    return v.trim();
  }

  /** A comma-separated list of delays in milliseconds, at least one, each from 1 ms to a day. */
  private List<Long> millisList(String key) {
    List<Long> out = new java.util.ArrayList<>();
    for (String part : string(key).split(",")) {
      String raw = part.trim();
      try {
        long v = Long.parseLong(raw);
        if (v < 1 || v > 86_400_000L) {
          throw new NumberFormatException();
        }
        out.add(v);
      } catch (NumberFormatException e) {
        throw new ConfigException(
            key
                + " ("
                + envName(key)
                + ") must be comma-separated milliseconds from 1 to 86400000, got '"
                + raw
                + "'");
      }
    }
    return List.copyOf(out);
  }

  private int port(String key) {
    return intValue(key, -1, 65_535);
  }

  int intValue(String key, int min, int max) {
    long v = longValue(key, min, max);
    return (int) v;
  }

  long longValue(String key, long min, long max) {
    String raw = string(key);
    long v;
    try {
      v = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(
          key + " (" + envName(key) + ") must be a whole number, got '" + raw + "'");
    }
    if (v < min || v > max) {
      throw new ConfigException(
          key + " (" + envName(key) + ") must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  boolean boolValue(String key) {
    String raw = string(key).toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default ->
          throw new ConfigException(
              key + " (" + envName(key) + ") must be true or false, got '" + raw + "'");
    };
  }

  private <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    String raw = string(key);
    try {
      return Enum.valueOf(type, raw.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " (" + envName(key) + ") has an unknown value '" + raw + "'");
    }
  }

  private Access anonymousAccess(String raw) {
    return switch (raw.toLowerCase(Locale.ROOT)) {
      case "loopback-only" -> Access.LOOPBACK_ONLY;
      case "true", "yes", "on" -> Access.ALLOW;
      case "false", "no", "off" -> Access.DENY;
      default ->
          throw new ConfigException(
              "auth.anonymous must be loopback-only, true or false, got '" + raw + "'");
    };
  }

  /** A configuration error an operator must fix; printed without a stack trace. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
