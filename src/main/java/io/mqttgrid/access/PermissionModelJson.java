package io.mqttgrid.access;

import static io.mqttgrid.access.ModelJsonFields.description;
import static io.mqttgrid.access.ModelJsonFields.enumValue;
import static io.mqttgrid.access.ModelJsonFields.optString;
import static io.mqttgrid.access.ModelJsonFields.putIfNotNull;
import static io.mqttgrid.access.ModelJsonFields.requiredString;
import static io.mqttgrid.access.NamespaceModelJson.checkName;

import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.mqttgrid.access.PermissionBinding.Permission;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The resources that grant permissions to and from their JSON properties: client groups, topic
 * spaces, permission bindings (as Event Grid shapes them) and this broker's role assignments. The
 * query and template grammars are checked by the functions the caller passes ({@link
 * ClientGroupQuery}, {@link TopicTemplate}).
 */
final class PermissionModelJson {

  private PermissionModelJson() {}

  public static ClientGroup clientGroup(
      String name, JsonObject p, Function<String, String> queryProblem) {
    checkName(Kind.CLIENT_GROUPS, name);
    String query = optString(p, "query", "properties.query");
    if (query == null || query.isBlank()) {
      throw new ModelValidationException("properties.query", "required");
    }
    String problem = queryProblem.apply(query);
    if (problem != null) {
      throw new ModelValidationException("properties.query", problem);
    }
    return new ClientGroup(name, description(p), query);
  }

  public static JsonObject toJson(ClientGroup g) {
    JsonObject o = new JsonObject().put("query", g.query());
    putIfNotNull(o, "description", g.description());
    return o;
  }

  public static TopicSpace topicSpace(
      String name, JsonObject p, NamespaceLimits limits, Function<String, String> templateProblem) {
    checkName(Kind.TOPIC_SPACES, name);
    Object value = p.getValue("topicTemplates");
    if (!(value instanceof JsonArray a) || a.isEmpty()) {
      throw new ModelValidationException(
          "properties.topicTemplates", "required: an array of 1 or more templates");
    }
    if (a.size() > limits.maxTopicTemplates()) {
      throw new ModelValidationException(
          "properties.topicTemplates",
          "at most " + limits.maxTopicTemplates() + " templates per topic space");
    }
    List<String> templates = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      String field = "properties.topicTemplates[" + i + "]";
      if (!(a.getValue(i) instanceof String t) || t.isEmpty()) {
        throw new ModelValidationException(field, "a template is a non-empty string");
      }
      String problem = templateProblem.apply(t);
      if (problem != null) {
        throw new ModelValidationException(field, problem);
      }
      templates.add(t);
    }
    return new TopicSpace(name, description(p), templates);
  }

  public static JsonObject toJson(TopicSpace t) {
    JsonObject o =
        new JsonObject().put("topicTemplates", new JsonArray(new ArrayList<>(t.topicTemplates())));
    putIfNotNull(o, "description", t.description());
    return o;
  }

  public static PermissionBinding permissionBinding(String name, JsonObject p) {
    checkName(Kind.PERMISSION_BINDINGS, name);
    String group = requiredString(p, "clientGroupName", "properties.clientGroupName");
    String space = requiredString(p, "topicSpaceName", "properties.topicSpaceName");
    Permission permission =
        enumValue(
            Permission.class,
            requiredString(p, "permission", "properties.permission"),
            "properties.permission");
    return new PermissionBinding(name, description(p), group, space, permission);
  }

  public static JsonObject toJson(PermissionBinding b) {
    JsonObject o =
        new JsonObject()
            .put("clientGroupName", b.clientGroupName())
            .put("topicSpaceName", b.topicSpaceName())
            .put("permission", b.permission().name());
    putIfNotNull(o, "description", b.description());
    return o;
  }

  public static RoleAssignment roleAssignment(String name, JsonObject p) {
    checkName(Kind.ROLE_ASSIGNMENTS, name);
    String principal = requiredString(p, "principalId", "properties.principalId");
    String role = requiredString(p, "role", "properties.role");
    // the Azure built-in role names are accepted as spelled in the portal (Event Grid's Microsoft
    // Entra ID JWT authentication)
    Permission permission =
        switch (role) {
          case "Publisher", "EventGrid TopicSpaces Publisher" -> Permission.Publisher;
          case "Subscriber", "EventGrid TopicSpaces Subscriber" -> Permission.Subscriber;
          default ->
              throw new ModelValidationException(
                  "properties.role",
                  "must be Publisher, Subscriber, EventGrid TopicSpaces Publisher or EventGrid TopicSpaces Subscriber");
        };
    String space = optString(p, "topicSpaceName", "properties.topicSpaceName");
    return new RoleAssignment(
        name, principal, permission, space == null || space.isEmpty() ? null : space);
  }

  public static JsonObject toJson(RoleAssignment r) {
    JsonObject o =
        new JsonObject().put("principalId", r.principalId()).put("role", r.role().name());
    putIfNotNull(o, "topicSpaceName", r.topicSpaceName());
    return o;
  }
}
