package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's bridges page: each dataflow instance's state and counters from the node that runs
 * it.
 */
final class BridgesApi {

  private static final Logger LOG = LoggerFactory.getLogger(BridgesApi.class);

  private final ConsoleRoutes.Services services;
  private final OtherNodes otherNodes;

  BridgesApi(ConsoleRoutes.Services services, OtherNodes otherNodes) {
    this.services = services;
    this.otherNodes = otherNodes;
  }

  /**
   * The bridges as {@code GET /bridges} reports them, with each instance's state and counters from
   * the node that runs it: that node's own {@code GET /bridges} answer, asked for over the event
   * bus (the other nodes report the instance stopped, with no counters).
   */
  void bridges(RoutingContext ctx) {
    ctx.request().resume();
    Vertx vertx = ctx.vertx();
    services
        .bridges()
        .get()
        .compose(
            local ->
                otherNodes
                    .ask(vertx, new JsonObject().put("op", "bridges"))
                    .map(
                        others -> {
                          List<JsonObject> answers = new ArrayList<>();
                          answers.add(local.copy().put("answeredBy", services.nodeId()));
                          answers.addAll(others);
                          return merged(answers);
                        }))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console bridges failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the bridges could not be read", null);
              } else {
                ctx.json(ar.result());
              }
            });
  }

  /**
   * The first answer (this node's), each instance replaced by the one of the node that runs it: the
   * node the instance names ({@code node}), or, from a node that does not name it, the node that
   * runs every instance ({@code runsHere}).
   */
  static JsonObject merged(List<JsonObject> answers) {
    JsonObject out = answers.get(0).copy();
    out.remove("answeredBy");
    JsonArray nodes = new JsonArray();
    java.util.Map<String, JsonObject> running = new java.util.HashMap<>();
    for (JsonObject answer : answers) {
      String node = answer.getString("answeredBy");
      nodes.add(
          new JsonObject().put("node", node).put("runsHere", answer.getBoolean("runsHere", false)));
      JsonArray dataflows = answer.getJsonArray("dataflows", new JsonArray());
      for (int d = 0; d < dataflows.size(); d++) {
        JsonObject dataflow = dataflows.getJsonObject(d);
        JsonArray instances = dataflow.getJsonArray("instances", new JsonArray());
        for (int i = 0; i < instances.size(); i++) {
          JsonObject instance = instances.getJsonObject(i);
          String owner =
              instance.getString("node", answer.getBoolean("runsHere", false) ? node : null);
          if (node != null && node.equals(owner)) {
            running.put(
                dataflow.getString("name") + "/" + instance.getValue("instance"),
                instance.copy().put("node", node));
          }
        }
      }
    }
    JsonArray dataflows = out.getJsonArray("dataflows", new JsonArray());
    for (int d = 0; d < dataflows.size(); d++) {
      JsonObject dataflow = dataflows.getJsonObject(d);
      JsonArray instances = dataflow.getJsonArray("instances", new JsonArray());
      for (int i = 0; i < instances.size(); i++) {
        JsonObject mine = instances.getJsonObject(i);
        JsonObject theirs =
            running.get(dataflow.getString("name") + "/" + mine.getValue("instance"));
        if (theirs != null) {
          instances.set(i, theirs);
        }
      }
    }
    return out.put("nodes", nodes);
  }
}
