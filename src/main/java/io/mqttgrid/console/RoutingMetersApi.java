package io.mqttgrid.console;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The console's routing page: the routing meters of every member, summed. */
final class RoutingMetersApi {

  private final ConsoleRoutes.Services services;
  private final OtherNodes otherNodes;

  RoutingMetersApi(ConsoleRoutes.Services services, OtherNodes otherNodes) {
    this.services = services;
    this.otherNodes = otherNodes;
  }

  /**
   * The routing meters of the cluster (each node counts the events of the messages it accepted):
   * the sums of every member that answered of what {@code /metrics} shows per node.
   */
  void routingMeters(RoutingContext ctx) {
    ctx.request().resume();
    JsonObject total = localRoutingMeters();
    otherNodes
        .ask(ctx.vertx(), new JsonObject().put("op", "routingMeters"))
        .onComplete(
            ar -> {
              int nodes = 1;
              for (JsonObject answer : ar.result()) {
                addCounts(total, answer);
                nodes++;
              }
              ctx.json(total.put("nodes", nodes));
            });
  }

  /** Adds {@code from}'s numbers into {@code into}, object by object. */
  private static void addCounts(JsonObject into, JsonObject from) {
    for (String key : from.fieldNames()) {
      Object v = from.getValue(key);
      if (v instanceof JsonObject o) {
        JsonObject mine = into.getJsonObject(key);
        if (mine == null) {
          into.put(key, o.copy());
        } else {
          addCounts(mine, o);
        }
      } else if (v instanceof Number n) {
        Object mine = into.getValue(key);
        into.put(key, (mine instanceof Number m ? m.longValue() : 0L) + n.longValue());
      }
    }
  }

  /**
   * This node's routing meters (docs/routing.md): per destination ({@code (routeDestination)} or an
   * event subscription's name) the events delivered, failed by error, and dead-lettered and dropped
   * by reason; and the events dead-lettered and dropped by reason for every destination together (a
   * dead letter that could not be written counts there only).
   */
  JsonObject localRoutingMeters() {
    MeterRegistry m = services.meters();
    JsonObject destinations = new JsonObject();
    for (Counter c : m.find("mqttgrid.routing.subscription.delivered.events").counters()) {
      String name = c.getId().getTag("Subscription");
      destination(destinations, name).put("delivered", (long) c.count());
    }
    for (Counter c : m.find("mqttgrid.routing.subscription.failed.events").counters()) {
      JsonObject failed =
          destination(destinations, c.getId().getTag("Subscription")).getJsonObject("failed");
      String error = String.valueOf(c.getId().getTag("Error"));
      failed.put(error, failed.getLong(error, 0L) + (long) c.count());
    }
    for (String outcome : new String[] {"deadLettered", "dropped"}) {
      String meter =
          outcome.equals("deadLettered")
              ? "mqttgrid.routing.subscription.dead.lettered.events"
              : "mqttgrid.routing.subscription.dropped.events";
      for (Counter c : m.find(meter).counters()) {
        JsonObject byReason =
            destination(destinations, c.getId().getTag("Subscription")).getJsonObject(outcome);
        String reason = String.valueOf(c.getId().getTag("Reason"));
        byReason.put(reason, byReason.getLong(reason, 0L) + (long) c.count());
      }
    }
    return new JsonObject()
        .put("destinations", destinations)
        .put("deadLettered", byTag(m, "mqttgrid.routing.dead.lettered.events", "Reason"))
        .put("dropped", byTag(m, "mqttgrid.routing.dropped.events", "Reason"))
        .put("buffered", (long) OverviewApi.gauges(m, "mqttgrid.routing.buffered.events"))
        .put("delivered", (long) OverviewApi.counters(m, "mqtt.successful.routed.messages"));
  }

  private static JsonObject destination(JsonObject destinations, String name) {
    String key = String.valueOf(name);
    JsonObject d = destinations.getJsonObject(key);
    if (d == null) {
      d =
          new JsonObject()
              .put("delivered", 0L)
              .put("failed", new JsonObject())
              .put("deadLettered", new JsonObject())
              .put("dropped", new JsonObject());
      destinations.put(key, d);
    }
    return d;
  }

  private static JsonObject byTag(MeterRegistry registry, String name, String tag) {
    JsonObject out = new JsonObject();
    for (Counter c : registry.find(name).counters()) {
      String key = String.valueOf(c.getId().getTag(tag));
      out.put(key, out.getLong(key, 0L) + (long) c.count());
    }
    return out;
  }
}
