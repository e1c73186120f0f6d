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
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

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

  /** Instances of one dataflow at most: each is a connection to the remote. */
  static final int MAX_INSTANCES = 64;

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
    return parse(load(text), baseDir);
  }

  /** A YAML or JSON document as maps, lists and scalars. */
  static Object load(String text) {
    try {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new BridgeConfigException("bridge file: not YAML or JSON: " + e.getMessage());
    }
  }

  /** The names of the resources of {@code kind} ({@code dataflowEndpoints}, {@code dataflows}). */
  static Map<String, Object> resources(Object root, String kind) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (root instanceof Map<?, ?> m && m.get(kind) instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> r && r.get("name") != null) {
          Map<String, Object> properties = new LinkedHashMap<>();
          r.forEach((k, v) -> properties.put(String.valueOf(k), v));
          out.put(String.valueOf(properties.remove("name")), properties);
        }
      }
    }
    return out;
  }

  /**
   * The document of the bridge file {@code fileRoot} with the resources made through the management
   * API ({@code api}: key {@code <kind>/<name>}, value the resource's properties as JSON): the
   * file's first (so that the index in a message about one of them is its index in the file), then
   * those of the API in the order given. A name the file holds is the file's.
   */
  static Object compose(Object fileRoot, Map<String, String> api) {
    Map<String, Object> doc = new LinkedHashMap<>();
    if (fileRoot instanceof Map<?, ?> m) {
      m.forEach((k, v) -> doc.put(String.valueOf(k), v)); // unknown keys: refused by parse
    }
    for (String kind : List.of("dataflowEndpoints", "dataflows")) {
      Map<String, Object> fromFile = resources(fileRoot, kind);
      List<Object> all = new ArrayList<>();
      if (fileRoot instanceof Map<?, ?> m && m.get(kind) instanceof List<?> list) {
        all.addAll(list);
      }
      api.forEach(
          (key, json) -> {
            String name = key.substring(key.indexOf('/') + 1);
            if (key.startsWith(kind + "/") && !fromFile.containsKey(name)) {
              Map<String, Object> r = new LinkedHashMap<>();
              r.put("name", name);
              if (load(json) instanceof Map<?, ?> properties) {
                properties.forEach((k, v) -> r.putIfAbsent(String.valueOf(k), v));
              }
              all.add(r);
            }
          });
      doc.put(kind, all);
    }
    return doc;
  }

  /** Parses a bridge document read by {@link #load}. */
  static BridgeFile parse(Object root, Path baseDir) {
    Fields top = Fields.of(root == null ? Map.of() : root, "bridge file");
    top.only("dataflowEndpoints", "dataflows");
    Map<String, Endpoint> byName = new LinkedHashMap<>();
    List<Object> rawEndpoints = top.list("dataflowEndpoints");
    for (int i = 0; i < rawEndpoints.size(); i++) {
      Endpoint e =
          endpoint(Fields.of(rawEndpoints.get(i), "dataflowEndpoints[" + i + "]"), baseDir);
      if (byName.putIfAbsent(e.name(), e) != null) {
        throw new BridgeConfigException(
            "dataflowEndpoints[" + i + "].name: '" + e.name() + "' is used twice");
      }
    }
    List<Dataflow> flows = new ArrayList<>();
    Set<String> flowNames = new HashSet<>();
    List<Object> rawFlows = top.list("dataflows");
    for (int i = 0; i < rawFlows.size(); i++) {
      Dataflow d = dataflow(Fields.of(rawFlows.get(i), "dataflows[" + i + "]"), byName);
      if (!flowNames.add(d.name())) {
        throw new BridgeConfigException(
            "dataflows[" + i + "].name: '" + d.name() + "' is used twice");
      }
      flows.add(d);
    }
    return new BridgeFile(List.copyOf(byName.values()), List.copyOf(flows));
  }

  private static Endpoint endpoint(Fields f, Path baseDir) {
    f.only("name", "endpointType", "mqttSettings");
    String name = f.name("name");
    if (name.equals(LOCAL_ENDPOINT)) {
      throw new BridgeConfigException(
          f.path("name") + ": '" + LOCAL_ENDPOINT + "' is this broker, not a remote");
    }
    String type = f.string("endpointType", "Mqtt");
    if (!type.equals("Mqtt")) {
      throw new BridgeConfigException(
          f.path("endpointType") + ": only 'Mqtt' is supported, got '" + type + "'");
    }
    Fields m = f.fields("mqttSettings", true);
    m.only(
        "host",
        "protocol",
        "webSocketPath",
        "mqttVersion",
        "clientIdPrefix",
        "keepAliveSeconds",
        "sessionExpirySeconds",
        "maxInflightMessages",
        "qos",
        "retain",
        "tls",
        "authentication",
        "cloudEventAttributes");
    String hostPort = m.string("host", null);
    if (hostPort == null || hostPort.isBlank()) {
      throw new BridgeConfigException(m.path("host") + ": required, as host:port");
    }
    int colon = hostPort.lastIndexOf(':');
    int port;
    try {
      port = colon <= 0 ? -1 : Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw new BridgeConfigException(
          m.path("host")
              + ": must be host:port with a port from 1 to 65535, got '"
              + hostPort
              + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String protocol = m.string("protocol", "Mqtt");
    if (!protocol.equals("Mqtt") && !protocol.equals("WebSockets")) {
      throw new BridgeConfigException(
          m.path("protocol") + ": must be Mqtt (TCP) or WebSockets, got '" + protocol + "'");
    }
    String webSocketPath = null;
    if (protocol.equals("WebSockets")) {
      webSocketPath = m.string("webSocketPath", "/mqtt");
      if (!webSocketPath.startsWith("/")) {
        throw new BridgeConfigException(
            m.path("webSocketPath") + ": must start with '/', got '" + webSocketPath + "'");
      }
    } else if (m.has("webSocketPath")) {
      throw new BridgeConfigException(
          m.path("webSocketPath") + ": set, but protocol is not WebSockets");
    }
    String version = m.string("mqttVersion", "5");
    int mqttVersion =
        switch (version) {
          case "5", "5.0", "v5" -> 5;
          case "3.1.1", "3", "v3" -> 3;
          default ->
              throw new BridgeConfigException(
                  m.path("mqttVersion") + ": must be 5 or 3.1.1, got '" + version + "'");
        };
    String prefix = m.string("clientIdPrefix", "mqttgrid-bridge-");
    int keepAlive = (int) m.number("keepAliveSeconds", 60, 0, 65_535);
    long expiry = m.number("sessionExpirySeconds", 600, 1, 0xFFFF_FFFFL);
    if (mqttVersion == 3 && !m.has("sessionExpirySeconds")) {
      expiry = 600; // MQTT 3.1.1 has no expiry on the wire; the local session still uses it
    }
    int inflight = (int) m.number("maxInflightMessages", 100, 1, 65_535);
    int qos = (int) m.number("qos", 1, 0, 1);
    String retainText = m.string("retain", "Keep");
    Retain retain =
        switch (retainText) {
          case "Keep" -> Retain.KEEP;
          case "Never" -> Retain.NEVER;
          default ->
              throw new BridgeConfigException(
                  m.path("retain") + ": must be Keep or Never, got '" + retainText + "'");
        };
    String ceText = m.string("cloudEventAttributes", "Propagate");
    CloudEventAttributes.Mode cloudEvents =
        switch (ceText) {
          case "Propagate" -> CloudEventAttributes.Mode.PROPAGATE;
          case "CreateOrRemap" -> CloudEventAttributes.Mode.CREATE_OR_REMAP;
          default ->
              throw new BridgeConfigException(
                  m.path("cloudEventAttributes")
                      + ": must be Propagate or CreateOrRemap, got '"
                      + ceText
                      + "'");
        };
    Fields tls = m.fields("tls", false);
    tls.only("mode", "trustedCaCertificateFile");
    String mode = tls.string("mode", "Disabled");
    if (!mode.equals("Enabled") && !mode.equals("Disabled")) {
      throw new BridgeConfigException(
          tls.path("mode") + ": must be Enabled or Disabled, got '" + mode + "'");
    }
    Path ca = tls.file("trustedCaCertificateFile", baseDir);
    if (ca != null && mode.equals("Disabled")) {
      throw new BridgeConfigException(
          tls.path("trustedCaCertificateFile") + ": set, but tls.mode is Disabled");
    }
    Fields auth = m.fields("authentication", false);
    auth.only(
        "method",
        "usernamePasswordSettings",
        "x509CertificateSettings",
        "serviceAccountTokenSettings");
    String method = auth.string("method", Authentication.ANONYMOUS);
    Authentication authentication =
        switch (method) {
          case Authentication.ANONYMOUS ->
              new Authentication(method, null, null, null, null, null, null);
          case Authentication.USERNAME_PASSWORD -> {
            Fields up = auth.fields("usernamePasswordSettings", true);
            up.only("username", "passwordFile");
            String user = up.string("username", null);
            if (user == null || user.isEmpty()) {
              throw new BridgeConfigException(up.path("username") + ": required");
            }
            Path pw = up.file("passwordFile", baseDir);
            if (pw == null) {
              throw new BridgeConfigException(
                  up.path("passwordFile")
                      + ": required (a file holding the password, so "
                      + "that it is not in the configuration)");
            }
            yield new Authentication(method, user, pw, null, null, null, null);
          }
          case Authentication.X509 -> {
            Fields x = auth.fields("x509CertificateSettings", true);
            x.only("certificateFile", "keyFile");
            Path cert = x.file("certificateFile", baseDir);
            Path key = x.file("keyFile", baseDir);
            if (cert == null || key == null) {
              throw new BridgeConfigException(
                  x.path(cert == null ? "certificateFile" : "keyFile") + ": required");
            }
            if (mode.equals("Disabled")) {
              throw new BridgeConfigException(
                  auth.path("method") + ": X509Certificate needs tls.mode Enabled");
            }
            try {
              RemoteClient.clientKeys(cert, key);
            } catch (IllegalStateException e) {
              throw new BridgeConfigException(x.path("keyFile") + ": " + e.getMessage());
            }
            yield new Authentication(method, null, null, cert, key, null, null);
          }
          case Authentication.SERVICE_ACCOUNT_TOKEN -> {
            Fields t = auth.fields("serviceAccountTokenSettings", true);
            t.only("tokenFile", "authenticationMethod");
            Path tokenFile = t.file("tokenFile", baseDir);
            if (tokenFile == null) {
              throw new BridgeConfigException(
                  t.path("tokenFile")
                      + ": required (the file the token is written to and renewed in)");
            }
            String tokenMethod =
                t.string("authenticationMethod", Authentication.DEFAULT_TOKEN_METHOD);
            if (tokenMethod.isEmpty()) {
              throw new BridgeConfigException(t.path("authenticationMethod") + ": empty");
            }
            yield new Authentication(method, null, null, null, null, tokenFile, tokenMethod);
          }
          default ->
              throw new BridgeConfigException(
                  auth.path("method")
                      + ": must be Anonymous, UsernamePassword, X509Certificate or "
                      + "ServiceAccountToken, got '"
                      + method
                      + "'");
        };
    return new Endpoint(
        name,
        host,
        port,
        mqttVersion,
        mode.equals("Enabled"),
        ca,
        authentication,
        prefix,
        keepAlive,
        expiry,
        inflight,
        qos,
        retain,
        webSocketPath,
        cloudEvents);
  }

  private static Dataflow dataflow(Fields f, Map<String, Endpoint> endpoints) {
    f.only("name", "operations", "instanceCount");
    String name = f.name("name");
    int instanceCount = (int) f.number("instanceCount", 1, 1, MAX_INSTANCES);
    List<Object> ops = f.list("operations");
    Fields source = null;
    Fields destination = null;
    for (int i = 0; i < ops.size(); i++) {
      Fields op = Fields.of(ops.get(i), f.path("operations") + "[" + i + "]");
      op.only("operationType", "sourceSettings", "destinationSettings");
      String type = op.string("operationType", null);
      if ("Source".equals(type) && source == null) {
        op.only("operationType", "sourceSettings");
        source = op.fields("sourceSettings", true);
      } else if ("Destination".equals(type) && destination == null) {
        op.only("operationType", "destinationSettings");
        destination = op.fields("destinationSettings", true);
      } else {
        throw new BridgeConfigException(
            op.path("operationType")
                + ": must be Source or Destination, once each; "
                + "got '"
                + type
                + "' (transformations are not supported)");
      }
    }
    if (source == null || destination == null) {
      throw new BridgeConfigException(
          f.path("operations") + ": needs one Source and one Destination operation");
    }
    source.only("endpointRef", "dataSources");
    destination.only("endpointRef", "dataDestination");
    String from = source.string("endpointRef", LOCAL_ENDPOINT);
    String to = destination.string("endpointRef", null);
    if (to == null) {
      throw new BridgeConfigException(destination.path("endpointRef") + ": required");
    }
    Direction direction;
    String remoteName;
    Fields remoteRef;
    if (from.equals(LOCAL_ENDPOINT) && !to.equals(LOCAL_ENDPOINT)) {
      direction = Direction.LOCAL_TO_REMOTE;
      remoteName = to;
      remoteRef = destination;
    } else if (!from.equals(LOCAL_ENDPOINT) && to.equals(LOCAL_ENDPOINT)) {
      direction = Direction.REMOTE_TO_LOCAL;
      remoteName = from;
      remoteRef = source;
    } else {
      throw new BridgeConfigException(
          f.path("operations")
              + ": one side must be the endpoint '"
              + LOCAL_ENDPOINT
              + "' (this broker) and the other a remote endpoint; got source '"
              + from
              + "', destination '"
              + to
              + "'");
    }
    Endpoint remote = endpoints.get(remoteName);
    if (remote == null) {
      throw new BridgeConfigException(
          remoteRef.path("endpointRef") + ": no dataflow endpoint named '" + remoteName + "'");
    }
    List<Object> rawSources = source.list("dataSources");
    if (rawSources.isEmpty()) {
      throw new BridgeConfigException(source.path("dataSources") + ": at least one topic filter");
    }
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < rawSources.size(); i++) {
      String filter = rawSources.get(i) == null ? "" : String.valueOf(rawSources.get(i));
      String at = source.path("dataSources") + "[" + i + "]";
      if (filter.startsWith(AIO_SHARED_PREFIX)) {
        // IoT Operations dataflows spell it $shared; MQTT 5 (and Event Grid, and this broker)
        // $share
        filter = Topics.SHARE_PREFIX + filter.substring(AIO_SHARED_PREFIX.length());
      }
      if (Topics.checkFilter(filter, 65_535, 65_535) != Topics.Check.OK) {
        throw new BridgeConfigException(at + ": '" + filter + "' is not a topic filter");
      }
      sources.add(filter);
    }
    String targetText = destination.string("dataDestination", "${inputTopic}");
    TargetTemplate target;
    try {
      target = TargetTemplate.parse(targetText);
    } catch (IllegalArgumentException e) {
      throw new BridgeConfigException(destination.path("dataDestination") + ": " + e.getMessage());
    }
    if (direction == Direction.REMOTE_TO_LOCAL
        && targetText.startsWith("$")
        && !targetText.startsWith("${")) {
      throw new BridgeConfigException(
          destination.path("dataDestination")
              + ": '"
              + targetText
              + "' is a '$' topic, "
              + "this broker's own: no publisher, the bridge included, may use it");
    }
    return new Dataflow(name, direction, remote, List.copyOf(sources), target, instanceCount);
  }

  /** A mapping of the document with the path that leads to it, for messages that name the field. */
  private record Fields(Map<?, ?> map, String at) {

    static Fields of(Object node, String at) {
      if (!(node instanceof Map<?, ?> m)) {
        throw new BridgeConfigException(at + ": must be a mapping (key: value)");
      }
      return new Fields(m, at);
    }

    String path(String key) {
      return at + "." + key;
    }

    boolean has(String key) {
      return map.containsKey(key);
    }

    void only(String... keys) {
      Set<String> allowed = Set.of(keys);
      for (Object k : map.keySet()) {
        if (!allowed.contains(String.valueOf(k))) {
          throw new BridgeConfigException(
              path(String.valueOf(k)) + ": unknown field (known: " + String.join(", ", keys) + ")");
        }
      }
    }

    String string(String key, String fallback) {
      Object v = map.get(key);
      if (v == null) {
        return fallback;
      }
      if (v instanceof Map<?, ?> || v instanceof List<?>) {
        throw new BridgeConfigException(path(key) + ": must be a single value");
      }
      return String.valueOf(v).trim();
    }

    /**
     * A name: letters, digits, '-', '_' and '.', as it becomes part of client ids and metric tags.
     */
    String name(String key) {
      String v = string(key, null);
      if (v == null || v.isEmpty()) {
        throw new BridgeConfigException(path(key) + ": required");
      }
      if (!v.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new BridgeConfigException(
            path(key) + ": '" + v + "' must be 1 to 64 letters, digits, '.', '-' or " + "'_'");
      }
      return v;
    }

    long number(String key, long fallback, long min, long max) {
      Object v = map.get(key);
      if (v == null) {
        return fallback;
      }
      long n;
      try {
        n = Long.parseLong(String.valueOf(v).trim());
      } catch (NumberFormatException e) {
        throw new BridgeConfigException(path(key) + ": must be a whole number, got '" + v + "'");
      }
      if (n < min || n > max) {
        throw new BridgeConfigException(
            path(key) + ": must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    }

    Fields fields(String key, boolean required) {
      Object v = map.get(key);
      if (v == null) {
        if (required) {
          throw new BridgeConfigException(path(key) + ": required");
        }
        return new Fields(Map.of(), path(key));
      }
      return of(v, path(key));
    }

    List<Object> list(String key) {
      Object v = map.get(key);
      if (v == null) {
        return List.of();
      }
      if (!(v instanceof List<?> l)) {
        throw new BridgeConfigException(path(key) + ": must be a list");
      }
      return new ArrayList<>(l);
    }

    Path file(String key, Path baseDir) {
      String v = string(key, null);
      if (v == null || v.isEmpty()) {
        return null;
      }
      Path p = baseDir.resolve(v);
      if (!Files.isReadable(p)) {
        throw new BridgeConfigException(path(key) + ": cannot read file '" + p + "'");
      }
      return p;
    }
  }

  /** A mistake in the bridge file: printed without a stack trace, like any configuration error. */
  public static final class BridgeConfigException extends RuntimeException {
    public BridgeConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
