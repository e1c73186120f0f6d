package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;

import io.mqttgrid.mqtt.ConnectionRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The console's connections page: the connections of every node, and their disconnection. */
final class ConnectionsApi {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionsApi.class);

  private static final int MAX_CONNECTIONS_LISTED = 1000;

  private final ConsoleRoutes.Services services;
  private final OtherNodes otherNodes;

  ConnectionsApi(ConsoleRoutes.Services services, OtherNodes otherNodes) {
    this.services = services;
    this.otherNodes = otherNodes;
  }

  /**
   * The connections of every node whose client id or authentication name contains {@code search}.
   */
  void connections(RoutingContext ctx) {
    ctx.request().resume();
    String search = ctx.request().getParam("search", "");
    JsonArray value = localConnections(search).getJsonArray("value").copy();
    otherNodes
        .ask(ctx.vertx(), new JsonObject().put("op", "connections").put("search", search))
        .onComplete(
            ar -> {
              for (JsonObject answer : ar.result()) {
                value.addAll(answer.getJsonArray("value"));
              }
              List<JsonObject> sorted = new ArrayList<>();
              for (int i = 0; i < value.size(); i++) {
                sorted.add(value.getJsonObject(i));
              }
              sorted.sort(java.util.Comparator.comparing(c -> c.getString("clientId", "")));
              JsonArray page = new JsonArray();
              sorted.stream().limit(MAX_CONNECTIONS_LISTED).forEach(page::add);
              ctx.json(new JsonObject().put("node", services.nodeId()).put("value", page));
            });
  }

  JsonObject localConnections(String search) {
    JsonArray value = new JsonArray();
    for (ConnectionRegistry.ConnectionView c :
        services.connections().find(search, MAX_CONNECTIONS_LISTED)) {
      value.add(
          new JsonObject()
              .put("clientId", c.clientId())
              .put("authenticationName", c.authenticationName())
              .put("protocolVersion", c.protocolVersion() == 5 ? "5" : "3.1.1")
              .put("remoteAddress", c.remoteAddress())
              .put("subscriptions", c.subscriptions())
              .put("persistentSession", c.persistentSession())
              .put("node", services.nodeId()));
    }
    return new JsonObject().put("value", value);
  }

  /** Ends the client's connections wherever they are in the cluster. */
  void disconnect(RoutingContext ctx) {
    ctx.request().resume();
    String clientId = ctx.pathParam("clientId");
    int here = disconnectLocal(clientId);
    otherNodes
        .ask(ctx.vertx(), new JsonObject().put("op", "disconnect").put("clientId", clientId))
        .onComplete(
            ar -> {
              int n = here;
              for (JsonObject answer : ar.result()) {
                n += answer.getInteger("disconnected", 0);
              }
              if (n == 0) {
                error(
                    ctx,
                    404,
                    "NotFound",
                    "client '" + clientId + "' is not connected to a node that answered",
                    null);
                return;
              }
              ctx.json(new JsonObject().put("clientId", clientId).put("disconnected", n));
            });
  }

  int disconnectLocal(String clientId) {
    int n = services.connections().disconnect(clientId);
    if (n > 0) {
      LOG.info("client '{}' disconnected through the management API", clientId);
    }
    return n;
  }
}
