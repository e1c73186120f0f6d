package io.mqttgrid.bridge;

import io.mqttgrid.routing.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The declarative bridge file named by {@code bridge.file}: MQTT dataflow endpoints (remote
 * brokers) and the dataflows between them and this broker, shaped like Azure IoT Operations'
 * generation-2 resources ({@code DataflowEndpoint} with {@code mqttSettings}, {@code Dataflow} with
 * a source and a destination operation, as IoT Operations' dataflows), because those are what IoT
 * Operations users write today and what the management API will serve later. As in IoT Operations,
 * the endpoint named {@code default} is this broker, and one side of every dataflow must be it;
 * which side gives the direction. YAML or JSON (a JSON document is YAML). A list of bridges does
 * not fit the flat, environment-overridable keys of config/mqttgrid.yaml, hence the separate file.
 *
 * <p>Every mistake is refused with the path of the field and the reason ({@link
 * BridgeConfigException}); unknown fields too, so a typo does not silently fall back to a default.
 * The entries are read by {@link EndpointParser} and {@link DataflowParser}, the document as maps
 * and lists made by {@link BridgeDocument}.
 */
public final class BridgeFile {

  /** The endpoint that stands for this broker. */
  public static final String LOCAL_ENDPOINT = "default";

  public enum Direction {
    LOCAL_TO_REMOTE,
    REMOTE_TO_LOCAL
  }

  public enum Retain {
    KEEP,
    NEVER
  }

  /**
   * How the bridge authenticates to the remote broker: the password is read from {@code
   * passwordFile}; an X.509 client certificate is {@code certificateFile} (PEM, the leaf then its
   * intermediates) with {@code keyFile} (PEM, PKCS #8, unencrypted); a token (a JWT) is read from
   * {@code tokenFile} and presented with the MQTT 5 authentication method {@code tokenMethod} (over
   * MQTT 3.1.1: as the password, with {@code tokenMethod} as the username).
   */
  public record Authentication(
      String method,
      String username,
      Path passwordFile,
      Path certificateFile,
      Path keyFile,
      Path tokenFile,
      String tokenMethod) {
    public static final String ANONYMOUS = "Anonymous";
    public static final String USERNAME_PASSWORD = "UsernamePassword";
    public static final String X509 = "X509Certificate";

    /**
     * IoT Operations' name for a token the platform writes to a file and renews there (a Kubernetes
     * service account token in a projected volume); here any JWT in a file.
     */
    public static final String SERVICE_ACCOUNT_TOKEN = "ServiceAccountToken";

    /** The authentication method the token goes with by default: Event Grid's custom JWT. */
    public static final String DEFAULT_TOKEN_METHOD = "CUSTOM-JWT";
  }

  /**
   * A remote MQTT broker. {@code trustedCaFile} null with TLS on: the JVM's default trust (public
   * CAs).
   */
  public record Endpoint(
      String name,
      String host,
      int port,
      int mqttVersion,
      boolean tls,
      Path trustedCaFile,
      Authentication authentication,
      String clientIdPrefix,
      int keepAliveSeconds,
      long sessionExpirySeconds,
      int maxInflightMessages,
      int qos,
      Retain retain,
      String webSocketPath,
      CloudEventAttributes.Mode cloudEventAttributes) {

    /** Whether the remote is reached over WebSockets ({@link #webSocketPath}) rather than TCP. */
    public boolean webSockets() {
      return webSocketPath != null;
    }
  }

  /**
   * One route: messages on {@code sources} of one side go to {@code target} on the other, through
   * {@code instanceCount} instances (each its own connection to the remote and, local-to-remote,
   * its own session here).
   */
  public record Dataflow(
      String name,
      Direction direction,
      Endpoint remote,
      List<String> sources,
      TargetTemplate target,
      int instanceCount) {

    /**
     * The stable client id of the bridge at the remote broker: prefix + dataflow name (as IoT
     * Operations' bridges); with more than one instance, prefix + name + '-' + the instance number
     * (1, 2, ...).
     */
    public String remoteClientId(int instance) {
      return remote.clientIdPrefix() + instanceName(instance);
    }

    /**
     * The client id of the bridge's session at this broker (local-to-remote): reserved, see below.
     */
    public String localClientId(int instance) {
      return LOCAL_SESSION_PREFIX + instanceName(instance);
    }

    /** The dataflow's name, with the instance number when there is more than one instance. */
    public String instanceName(int instance) {
      return instanceCount == 1 ? name : name + "-" + instance;
    }

    /**
     * The filters an instance subscribes to on the source side. With more than one instance, a
     * plain filter becomes a shared subscription of a group generated from the client id prefix and
     * the dataflow name, as IoT Operations does with {@code instanceCount}: the source broker then
     * gives each message to one instance only. A filter that is a shared subscription already keeps
     * its group.
     */
    public List<String> subscriptionFilters() {
      if (instanceCount == 1) {
        return sources;
      }
      String group = sharedGroup();
      List<String> out = new ArrayList<>();
      for (String f : sources) {
        out.add(f.startsWith(Topics.SHARE_PREFIX) ? f : Topics.SHARE_PREFIX + group + "/" + f);
      }
      return List.copyOf(out);
    }

    /**
     * The response topic a message of this dataflow carries to its target: mapped through the
     * dataflow like the message's topic when one of the dataflow's sources matches it (a requester
     * on this side of the bridge then gets the reply, if a dataflow the other way brings the mapped
     * topic back), else as it is. Null stays null; so does a topic the target template cannot
     * resolve (it names a level the response topic lacks) - the reply would have nowhere to go.
     */
    public String responseTopic(String responseTopic) {
      if (responseTopic == null) {
        return null;
      }
      for (String source : sources) {
        String filter = source;
        if (filter.startsWith(Topics.SHARE_PREFIX)) {
          int slash = filter.indexOf('/', Topics.SHARE_PREFIX.length());
          filter = filter.substring(slash + 1);
        }
        if (Topics.matches(filter, responseTopic)) {
          return target.resolve(responseTopic);
        }
      }
      return responseTopic;
    }

    /**
     * The generated shared-subscription group: the remote client id prefix and the dataflow name,
     * so that two edges bridging to one remote with the same dataflow name do not share a group
     * unless they share the prefix too. Characters a group name cannot hold become '_'.
     */
    public String sharedGroup() {
      return (remote.clientIdPrefix() + name).replaceAll("[/+#]", "_");
    }
  }

  /**
   * Client ids of the bridge's own sessions at this broker; MQTT clients cannot use them (the
   * CONNECT refuses a client id with this prefix, see {@code
   * mqtt.ConnectHandshake.BRIDGE_SESSION_PREFIX}).
   */
  public static final String LOCAL_SESSION_PREFIX = "$bridge/";

  /** IoT Operations' spelling of a shared subscription in a dataflow source. */
  static final String AIO_SHARED_PREFIX = "$shared/";

  private final List<Endpoint> endpoints;
  private final List<Dataflow> dataflows;

  private BridgeFile(List<Endpoint> endpoints, List<Dataflow> dataflows) {
    this.endpoints = endpoints;
    this.dataflows = dataflows;
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  public List<Dataflow> dataflows() {
    return dataflows;
  }

  /** Reads and checks {@code file}. */
  public static BridgeFile read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BridgeConfigException("bridge.file: cannot read " + file + ": " + e.getMessage());
    }
    return parse(text, file.getParent() == null ? Path.of(".") : file.getParent());
  }

  /** Parses a bridge document; relative file paths in it are resolved against {@code baseDir}. */
  public static BridgeFile parse(String text, Path baseDir) {
    return parse(BridgeDocument.load(text), baseDir);
  }

  /** Parses a bridge document read by {@link BridgeDocument#load}. */
  static BridgeFile parse(Object root, Path baseDir) {
    DocumentFields top = DocumentFields.of(root == null ? Map.of() : root, "bridge file");
    top.only("dataflowEndpoints", "dataflows");
    Map<String, Endpoint> byName = new LinkedHashMap<>();
    List<Object> rawEndpoints = top.list("dataflowEndpoints");
    for (int i = 0; i < rawEndpoints.size(); i++) {
      Endpoint e =
          EndpointParser.parse(
              DocumentFields.of(rawEndpoints.get(i), "dataflowEndpoints[" + i + "]"), baseDir);
      if (byName.putIfAbsent(e.name(), e) != null) {
        throw new BridgeConfigException(
            "dataflowEndpoints[" + i + "].name: '" + e.name() + "' is used twice");
      }
    }
    List<Dataflow> flows = new ArrayList<>();
    Set<String> flowNames = new HashSet<>();
    List<Object> rawFlows = top.list("dataflows");
    for (int i = 0; i < rawFlows.size(); i++) {
      Dataflow d =
          DataflowParser.parse(DocumentFields.of(rawFlows.get(i), "dataflows[" + i + "]"), byName);
      if (!flowNames.add(d.name())) {
        throw new BridgeConfigException(
            "dataflows[" + i + "].name: '" + d.name() + "' is used twice");
      }
      flows.add(d);
    }
    return new BridgeFile(List.copyOf(byName.values()), List.copyOf(flows));
  }

  /** A mistake in the bridge file: printed without a stack trace, like any configuration error. */
  public static final class BridgeConfigException extends RuntimeException {
    public BridgeConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
