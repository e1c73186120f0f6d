package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;
import static io.mqttgrid.http.ManagementErrors.jsonObjectBody;

import io.mqttgrid.access.AccessPolicy;
import io.mqttgrid.access.ClientGroupQuery;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.ModelValidationException;
import io.mqttgrid.access.NamespaceModelJson;
import io.mqttgrid.access.PermissionBinding.Permission;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console's access explainer: which permission binding lets a client publish or subscribe to a
 * topic, or why none does; and a client-group query's matches as the operator types it.
 */
final class AccessExplainerApi {

  private final ConsoleRoutes.Services services;

  AccessExplainerApi(ConsoleRoutes.Services services) {
    this.services = services;
  }

  void explain(RoutingContext ctx) {
    JsonObject body = jsonObjectBody(ctx);
    if (body == null) {
      return;
    }
    Permission action;
    String actionText = body.getValue("action") instanceof String s ? s : "";
    switch (actionText.toLowerCase(Locale.ROOT)) {
      case "publish", "publisher" -> action = Permission.Publisher;
      case "subscribe", "subscriber" -> action = Permission.Subscriber;
      default -> {
        error(ctx, 400, "InvalidRequest", "action: must be publish or subscribe", "action");
        return;
      }
    }
    String topic = body.getValue("topic") instanceof String s ? s : "";
    if (topic.isEmpty()) {
      error(
          ctx,
          400,
          "InvalidRequest",
          "topic: required (a topic name to publish to, a filter to subscribe to)",
          "topic");
      return;
    }
    ClientIdentity identity;
    String clientName = body.getValue("clientName") instanceof String s ? s : null;
    if (clientName != null && !clientName.isEmpty()) {
      ClientResource client = services.model().get().clients().get(clientName);
      if (client == null) {
        error(
            ctx,
            400,
            "InvalidRequest",
            "clientName: no client '" + clientName + "' is registered",
            "clientName");
        return;
      }
      identity =
          new ClientIdentity(
              client.authenticationName(),
              client.attributes(),
              ClientIdentity.Authority.REGISTRY,
              0);
    } else if (body.getValue("client") instanceof JsonObject described) {
      try {
        // the same reading of attributes as a client resource's
        ClientResource parsed =
            NamespaceModelJson.client(
                described.getString("authenticationName", "explained"),
                new JsonObject()
                    .put("authenticationName", described.getValue("authenticationName"))
                    .put("attributes", described.getValue("attributes")),
                services.limits());
        identity =
            new ClientIdentity(
                parsed.authenticationName(),
                parsed.attributes(),
                ClientIdentity.Authority.CUSTOM_JWT,
                0);
      } catch (ModelValidationException | ClassCastException e) {
        String field =
            e instanceof ModelValidationException m
                ? m.field().replaceFirst("^properties\\.", "client.")
                : "client";
        error(ctx, 400, "InvalidRequest", field + ": " + e.getMessage(), field);
        return;
      }
    } else {
      error(
          ctx,
          400,
          "InvalidRequest",
          "clientName: required (a registered client), or client with authenticationName and"
              + " attributes",
          "clientName");
      return;
    }
    AccessPolicy.Explanation e = services.access().policy().explain(identity, action, topic);
    ctx.json(ExplanationJson.toJson(identity, action, topic, e));
  }

  /**
   * Checks a client-group query as the model would and lists the registered clients it selects, so
   * that the console's query editor can validate as the operator types.
   */
  void previewClientGroup(RoutingContext ctx) {
    JsonObject body = jsonObjectBody(ctx);
    if (body == null) {
      return;
    }
    String query = body.getValue("query") instanceof String q ? q : "";
    ClientGroupQuery parsed;
    try {
      parsed = ClientGroupQuery.parse(query, services.access().allowNotInQueries());
    } catch (IllegalArgumentException e) {
      error(ctx, 400, "InvalidRequest", "properties.query: " + e.getMessage(), "properties.query");
      return;
    }
    List<String> matches = new ArrayList<>();
    for (ClientResource client : services.model().get().clients().values()) {
      ClientIdentity identity =
          new ClientIdentity(
              client.authenticationName(),
              client.attributes(),
              ClientIdentity.Authority.REGISTRY,
              0);
      if (parsed.matches(identity)) {
        matches.add(client.name());
      }
    }
    matches.sort(null);
    ctx.json(
        new JsonObject()
            .put("total", matches.size())
            .put(
                "matches",
                new JsonArray(List.copyOf(matches.subList(0, Math.min(matches.size(), 100))))));
  }
}
