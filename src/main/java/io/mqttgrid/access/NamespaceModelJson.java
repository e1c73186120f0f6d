package io.mqttgrid.access;

import static io.mqttgrid.access.ModelJsonFields.object;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JSON shapes of Event Grid's namespace resources (the properties of each resource, as the
 * management API and the declarative namespace file write them) to and from the model types, with
 * every validation rule Event Grid documents. Bad input raises {@link ModelValidationException}
 * naming the field.
 *
 * <p>This class holds the resource kinds, the names, the whole namespace document and the rules
 * across resources; the rules of one kind are in its own class: {@link ClientJson}, {@link
 * PermissionModelJson} (client groups, topic spaces, permission bindings, role assignments), {@link
 * CaCertificateJson}, {@link NamespaceSettingsJson}; field reading in {@link ModelJsonFields}.
 */
public final class NamespaceModelJson {

  /** Resource kinds as they appear in ARM paths and as sections of the namespace file. */
  public enum Kind {
    // in dependency order: what a resource needs (a CA for its clients, a topic space for its
    // bindings) comes
    // before it; the namespace file is written in this order and removed in the reverse one
    CA_CERTIFICATES("caCertificates", "Microsoft.EventGrid/namespaces/caCertificates"),
    CLIENTS("clients", "Microsoft.EventGrid/namespaces/clients"),
    CLIENT_GROUPS("clientGroups", "Microsoft.EventGrid/namespaces/clientGroups"),
    TOPIC_SPACES("topicSpaces", "Microsoft.EventGrid/namespaces/topicSpaces"),
    PERMISSION_BINDINGS("permissionBindings", "Microsoft.EventGrid/namespaces/permissionBindings"),
    ROLE_ASSIGNMENTS("roleAssignments", "MqttGrid/namespaces/roleAssignments");

    public final String path;
    public final String armType;

    Kind(String path, String armType) {
      this.path = path;
      this.armType = armType;
    }

    public static Kind ofPath(String path) {
      for (Kind k : values()) {
        if (k.path.equals(path)) {
          return k;
        }
      }
      return null;
    }
  }

  // Event Grid's resource naming rules
  private static final Pattern CLIENT_NAME = Pattern.compile("[-a-zA-Z0-9:._]{1,128}");
  private static final Pattern CHILD_NAME = Pattern.compile("[a-zA-Z0-9-]{3,50}");

  private NamespaceModelJson() {}

  // -------------------------------------------------------------------------------------------
  // names

  public static void checkName(Kind kind, String name) {
    Pattern p = kind == Kind.CLIENTS ? CLIENT_NAME : CHILD_NAME;
    if (name == null || !p.matcher(name).matches()) {
      throw new ModelValidationException(
          "name",
          kind == Kind.CLIENTS
              ? "a client name is 1-128 characters of letters, digits, '-', ':', '.' and '_'"
              : "a " + kind.path + " name is 3-50 characters of letters, digits and '-'");
    }
  }

  // ------------------------------------------------------------------ single resources, for the
  // store and tests

  public static ClientResource client(String name, JsonObject p, NamespaceLimits limits) {
    return ClientJson.client(name, p, limits);
  }

  public static CaCertificate caCertificate(String name, JsonObject p) {
    return CaCertificateJson.caCertificate(name, p);
  }

  public static JsonObject toJson(CaCertificate c) {
    return CaCertificateJson.toJson(c);
  }

  public static NamespaceSettings settings(JsonObject p) {
    return NamespaceSettingsJson.settings(p);
  }

  public static JsonObject toJson(NamespaceSettings s) {
    return NamespaceSettingsJson.toJson(s);
  }

  /**
   * The settings as stored: like {@link #toJson(NamespaceSettings)} but keeping the webhook's
   * bearer token.
   */
  public static JsonObject toStoredJson(NamespaceSettings s) {
    return NamespaceSettingsJson.toStoredJson(s);
  }

  // ------------------------------------------------------------------------------------- whole
  // model

  /**
   * Rules across resources (Event Grid's namespace resource model): counts, authentication names
   * unique case-insensitively, bindings and role assignments naming resources that exist.
   */
  public static void checkModel(NamespaceModel m, NamespaceLimits limits) {
    checkCount(Kind.CLIENTS, m.clients().size(), limits.maxClients());
    checkCount(Kind.CLIENT_GROUPS, m.clientGroups().size(), limits.maxClientGroups());
    checkCount(Kind.TOPIC_SPACES, m.topicSpaces().size(), limits.maxTopicSpaces());
    checkCount(
        Kind.PERMISSION_BINDINGS, m.permissionBindings().size(), limits.maxPermissionBindings());
    checkCount(Kind.CA_CERTIFICATES, m.caCertificates().size(), limits.maxCaCertificates());
    checkCount(Kind.ROLE_ASSIGNMENTS, m.roleAssignments().size(), limits.maxRoleAssignments());
    Map<String, String> authNames = new HashMap<>();
    for (ClientResource c : m.clients().values()) {
      String other = authNames.put(NamespaceModel.foldCase(c.authenticationName()), c.name());
      if (other != null) {
        throw new ModelValidationException(
            "clients." + c.name() + ".properties.authenticationName",
            "'"
                + c.authenticationName()
                + "' is already the authentication name of client '"
                + other
                + "' (compared case-insensitively)");
      }
    }
    if (m.clientGroups().containsKey(ClientGroup.ALL)) {
      throw new ModelValidationException(
          "clientGroups.$all", "the built-in group cannot be defined");
    }
    for (PermissionBinding b : m.permissionBindings().values()) {
      String f = "permissionBindings." + b.name() + ".properties.";
      if (!b.clientGroupName().equals(ClientGroup.ALL)
          && !m.clientGroups().containsKey(b.clientGroupName())) {
        throw new ModelValidationException(
            f + "clientGroupName", "no client group '" + b.clientGroupName() + "'");
      }
      if (!m.topicSpaces().containsKey(b.topicSpaceName())) {
        throw new ModelValidationException(
            f + "topicSpaceName", "no topic space '" + b.topicSpaceName() + "'");
      }
    }
    for (RoleAssignment r : m.roleAssignments().values()) {
      if (r.topicSpaceName() != null && !m.topicSpaces().containsKey(r.topicSpaceName())) {
        throw new ModelValidationException(
            "roleAssignments." + r.name() + ".properties.topicSpaceName",
            "no topic space '" + r.topicSpaceName() + "'");
      }
    }
  }

  private static void checkCount(Kind kind, int count, int max) {
    if (count > max) {
      throw new ModelValidationException(
          kind.path,
          "at most " + max + " " + kind.path + " (limit " + "namespace.limits), found " + count);
    }
  }

  /**
   * A whole namespace document (the declarative file): {@code settings} and one object per resource
   * kind, keyed by resource name, each holding the properties directly or under {@code properties}.
   */
  public static NamespaceModel document(
      JsonObject doc,
      NamespaceLimits limits,
      Function<String, String> queryProblem,
      Function<String, String> templateProblem) {
    for (String key : doc.fieldNames()) {
      if (!key.equals("settings") && Kind.ofPath(key) == null) {
        throw new ModelValidationException(
            key,
            "unknown section; expected settings, clients, clientGroups, "
                + "topicSpaces, permissionBindings, caCertificates or roleAssignments");
      }
    }
    JsonObject settings = object(doc, "settings", "settings");
    ModelBuilder builder = new ModelBuilder();
    for (Kind kind : Kind.values()) {
      JsonObject section = object(doc, kind.path, kind.path);
      if (section == null) {
        continue;
      }
      for (Map.Entry<String, Object> e : section) {
        if (!(e.getValue() instanceof JsonObject props)) {
          throw new ModelValidationException(
              kind.path + "." + e.getKey(), "must be an object of properties");
        }
        JsonObject p = props.getValue("properties") instanceof JsonObject inner ? inner : props;
        try {
          builder.add(kind, resource(kind, e.getKey(), p, limits, queryProblem, templateProblem));
        } catch (ModelValidationException ex) {
          throw new ModelValidationException(
              kind.path + "." + e.getKey() + "." + ex.field(),
              ex.getMessage().substring(ex.field().length() + 2));
        }
      }
    }
    NamespaceModel model =
        builder.build(settings == null ? NamespaceSettings.DEFAULTS : settings(settings));
    checkModel(model, limits);
    return model;
  }

  /** One resource of any kind from its properties. */
  public static Object resource(
      Kind kind,
      String name,
      JsonObject p,
      NamespaceLimits limits,
      Function<String, String> queryProblem,
      Function<String, String> templateProblem) {
    return switch (kind) {
      case CLIENTS -> ClientJson.client(name, p, limits);
      case CLIENT_GROUPS -> PermissionModelJson.clientGroup(name, p, queryProblem);
      case TOPIC_SPACES -> PermissionModelJson.topicSpace(name, p, limits, templateProblem);
      case PERMISSION_BINDINGS -> PermissionModelJson.permissionBinding(name, p);
      case CA_CERTIFICATES -> CaCertificateJson.caCertificate(name, p);
      case ROLE_ASSIGNMENTS -> PermissionModelJson.roleAssignment(name, p);
    };
  }

  /** The properties of one resource of any kind. */
  public static JsonObject toJson(Kind kind, Object r) {
    return switch (kind) {
      case CLIENTS -> ClientJson.toJson((ClientResource) r);
      case CLIENT_GROUPS -> PermissionModelJson.toJson((ClientGroup) r);
      case TOPIC_SPACES -> PermissionModelJson.toJson((TopicSpace) r);
      case PERMISSION_BINDINGS -> PermissionModelJson.toJson((PermissionBinding) r);
      case CA_CERTIFICATES -> CaCertificateJson.toJson((CaCertificate) r);
      case ROLE_ASSIGNMENTS -> PermissionModelJson.toJson((RoleAssignment) r);
    };
  }

  /** Collects resources of every kind into one model version. */
  public static final class ModelBuilder {
    private final List<ClientResource> clients = new ArrayList<>();
    private final List<ClientGroup> groups = new ArrayList<>();
    private final List<TopicSpace> spaces = new ArrayList<>();
    private final List<PermissionBinding> bindings = new ArrayList<>();
    private final List<CaCertificate> cas = new ArrayList<>();
    private final List<RoleAssignment> roles = new ArrayList<>();

    public ModelBuilder add(Kind kind, Object resource) {
      switch (kind) {
        case CLIENTS -> clients.add((ClientResource) resource);
        case CLIENT_GROUPS -> groups.add((ClientGroup) resource);
        case TOPIC_SPACES -> spaces.add((TopicSpace) resource);
        case PERMISSION_BINDINGS -> bindings.add((PermissionBinding) resource);
        case CA_CERTIFICATES -> cas.add((CaCertificate) resource);
        case ROLE_ASSIGNMENTS -> roles.add((RoleAssignment) resource);
        default -> throw new IllegalStateException();
      }
      return this;
    }

    public NamespaceModel build(NamespaceSettings settings) {
      return new NamespaceModel(settings, clients, groups, spaces, bindings, cas, roles);
    }
  }
}
