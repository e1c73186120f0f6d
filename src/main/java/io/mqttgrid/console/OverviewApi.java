package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.http.HealthRoutes;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's overview: this node's state and figures with every other member's, asked for over
 * the event bus, and the totals of those that answered.
 */
final class OverviewApi {

  private static final Logger LOG = LoggerFactory.getLogger(OverviewApi.class);

  /** The counters of the overview's message totals and of its rate chart. */
  static final String MESSAGES_IN = "mqtt.successful.published.messages";

  static final String MESSAGES_OUT = "mqtt.successful.delivered.messages";
  static final String MESSAGES_DROPPED = "mqttgrid.messages.dropped";

  /** When this node's console started, with the node: its uptime's origin. */
  private final long startedAtMillis = System.currentTimeMillis();

  private final ConsoleRoutes.Services services;

  OverviewApi(ConsoleRoutes.Services services) {
    this.services = services;
  }

  void overview(RoutingContext ctx) {
    ctx.request().resume();
    Vertx vertx = ctx.vertx();
    // gauges such as the retained count ask Hazelcast for a map's size: off the event loop
    vertx
        .executeBlocking(this::overviewBody, false)
        .compose(body -> withOtherNodes(vertx, body))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console overview failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the overview could not be read", null);
              } else {
                ctx.json(ar.result());
              }
            });
  }

  /**
   * Each other member's meters, asked for over the event bus (a member that does not answer within
   * {@link OtherNodes#TIMEOUT_MILLIS} is shown unreachable), and the totals of the members that
   * answered.
   */
  private Future<JsonObject> withOtherNodes(Vertx vertx, JsonObject body) {
    List<Future<?>> asked = new ArrayList<>();
    JsonArray members = body.getJsonArray("members");
    for (int i = 0; i < members.size(); i++) {
      JsonObject member = members.getJsonObject(i);
      if (member.getBoolean("local")) {
        member
            .put("reachable", true)
            .put("meters", body.getJsonObject("meters"))
            .put("uptimeSeconds", body.getLong("uptimeSeconds"))
            .put("splitBrain", body.getJsonObject("splitBrain"));
        continue;
      }
      String node = member.getString("node");
      if (node == null) {
        member.put("reachable", false);
        continue;
      }
      asked.add(
          OtherNodes.request(vertx, node, new JsonObject().put("op", "meters"))
              .onSuccess(
                  status -> {
                    // a node of an older version answers its meters alone
                    boolean withStatus = status.getValue("meters") instanceof JsonObject;
                    member
                        .put("reachable", true)
                        .put("meters", withStatus ? status.getJsonObject("meters") : status)
                        .put("uptimeSeconds", status.getValue("uptimeSeconds"))
                        .put("splitBrain", status.getValue("splitBrain"));
                  })
              .onFailure(e -> member.put("reachable", false).put("problem", e.getMessage())));
    }
    return Future.join(asked)
        .otherwiseEmpty()
        .map(
            x -> {
              JsonObject totals = new JsonObject();
              for (int i = 0; i < members.size(); i++) {
                JsonObject meters = members.getJsonObject(i).getJsonObject("meters");
                if (meters == null) {
                  continue;
                }
                for (String key : meters.fieldNames()) {
                  long value = meters.getLong(key);
                  // every node's index holds every retained topic: a sum would count each once per
                  // node
                  totals.put(
                      key,
                      "retainedMessages".equals(key)
                          ? Math.max(totals.getLong(key, 0L), value)
                          : totals.getLong(key, 0L) + value);
                }
              }
              return body.put("totals", totals);
            });
  }

  private JsonObject overviewBody() {
    HealthRoutes.Readiness ready = services.readiness().get();
    JsonArray members = new JsonArray();
    for (ClusterMembership.MemberInfo m : services.members().get()) {
      members.add(
          new JsonObject()
              .put("node", m.node())
              .put("address", m.address())
              .put("local", m.local()));
    }
    return new JsonObject()
        .put("node", services.nodeId())
        .put("ready", ready.ready())
        .put("database", ready.database())
        .put("members", members)
        .put("websocketPort", services.websocketPort())
        .put("websocketPath", "/mqtt")
        .put("time", System.currentTimeMillis())
        .put("meters", nodeMeters())
        .put("uptimeSeconds", uptimeSeconds())
        .put("splitBrain", splitBrainJson());
  }

  /** What another node's console shows of this one: its meters, uptime, split-brain state. */
  JsonObject nodeStatus() {
    return new JsonObject()
        .put("meters", nodeMeters())
        .put("uptimeSeconds", uptimeSeconds())
        .put("splitBrain", splitBrainJson());
  }

  private long uptimeSeconds() {
    return (System.currentTimeMillis() - startedAtMillis) / 1000;
  }

  private JsonObject splitBrainJson() {
    ConsoleRoutes.SplitBrain s = services.splitBrain().get();
    return new JsonObject()
        .put("protection", s.protection())
        .put("minimumMembers", s.minimumMembers())
        .put("hasMinimumMembers", s.hasMinimumMembers());
  }

  /** This node's figures, from the meters Prometheus scrapes. */
  private JsonObject nodeMeters() {
    int subscriptions = 0;
    for (ConnectionRegistry.ConnectionView c : services.connections().find("", Integer.MAX_VALUE)) {
      subscriptions += c.subscriptions();
    }
    MeterRegistry m = services.meters();
    return new JsonObject()
        .put("connections", (long) gauges(m, "mqtt.connections"))
        .put("sessions", (long) gauges(m, "mqttgrid.sessions"))
        .put("sessionsOnline", (long) gauges(m, "mqttgrid.sessions.online"))
        .put("subscriptionsOfConnectedClients", (long) subscriptions)
        .put("retainedMessages", (long) gauges(m, "mqttgrid.retained.messages"))
        .put("messagesIn", (long) counters(m, MESSAGES_IN))
        .put("messagesOut", (long) counters(m, MESSAGES_OUT))
        .put("messagesDropped", (long) counters(m, MESSAGES_DROPPED));
  }

  static double gauges(MeterRegistry registry, String name) {
    return registry.find(name).gauges().stream().mapToDouble(Gauge::value).sum();
  }

  static double counters(MeterRegistry registry, String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }
}
