package io.mqttgrid.console;

import io.mqttgrid.access.AccessPolicy;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.PermissionBinding.Permission;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** The access explainer's answer as the management API writes it. */
final class ExplanationJson {

  private ExplanationJson() {}

  static JsonObject toJson(
      ClientIdentity identity, Permission action, String topic, AccessPolicy.Explanation e) {
    JsonObject attributes = new JsonObject();
    for (Map.Entry<String, Object> a : identity.attributes().entrySet()) {
      attributes.put(
          a.getKey(),
          a.getValue() instanceof List<?> l ? new JsonArray(List.copyOf(l)) : a.getValue());
    }
    JsonArray bindings = new JsonArray();
    for (AccessPolicy.ConsideredBinding b : e.bindings()) {
      bindings.add(
          new JsonObject()
              .put("name", b.name())
              .put("clientGroupName", b.clientGroupName())
              .put("topicSpaceName", b.topicSpaceName()));
    }
    JsonArray spaces = new JsonArray();
    JsonObject matched = null;
    for (AccessPolicy.ConsideredTopicSpace space : e.topicSpaces()) {
      JsonArray templates = new JsonArray();
      for (AccessPolicy.ConsideredTemplate t : space.templates()) {
        templates.add(
            new JsonObject()
                .put("template", t.template())
                .put("instantiated", new JsonArray(List.copyOf(t.instantiated())))
                .put("granting", new JsonArray(List.copyOf(t.granting()))));
        if (matched == null && !t.granting().isEmpty()) {
          matched =
              new JsonObject()
                  .put("topicSpaceName", space.name())
                  .put("template", t.template())
                  .put("filter", t.granting().get(0));
        }
      }
      spaces.add(new JsonObject().put("name", space.name()).put("templates", templates));
    }
    return new JsonObject()
        .put("allowed", e.allowed())
        .put("action", action == Permission.Publisher ? "publish" : "subscribe")
        .put("topic", topic)
        .put(
            "identity",
            new JsonObject()
                .put("authenticationName", identity.authenticationName())
                .put("authority", identity.authority().name())
                .put("attributes", attributes))
        .put("groups", new JsonArray(List.copyOf(e.groups())))
        .put("bindings", bindings)
        .put("roleAssignments", new JsonArray(List.copyOf(e.roleAssignments())))
        .put("topicSpaces", spaces)
        .put("matched", matched);
  }
}
