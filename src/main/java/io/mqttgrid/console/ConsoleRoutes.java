package io.mqttgrid.console;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.NamespaceAccess;
import io.mqttgrid.access.NamespaceLimits;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.http.HealthRoutes;
import io.mqttgrid.http.ManagementApiVerticle;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import java.util.function.Supplier;

/**
 * The web console on the management port: its static files under {@code /console/} (the page shell,
 * served to anyone: it holds no data and asks for the management token before any call), the
 * browser libraries it uses from their WebJars, and the management API endpoints it needs beyond
 * the namespace model's, one class per page of the console (overview and rate chart, access
 * explainer, connections, sessions, retained messages, routing, bridges). Those endpoints sit under
 * the namespace paths, behind the same admin check as the rest of the API; this class mounts them
 * and answers the other members' consoles about this node.
 */
public final class ConsoleRoutes implements ManagementApiVerticle.Extension {

  /**
   * Where the console's files are on the class path (a name no working directory is likely to
   * have).
   */
  static final String WEB_ROOT = "mqttgrid-console";

  /** What the endpoints read: the same objects the broker serves clients with. */
  public record Services(
      String nodeId,
      NamespaceAccess access,
      Supplier<NamespaceModel> model,
      NamespaceLimits limits,
      ConnectionRegistry connections,
      MeterRegistry meters,
      Supplier<List<ClusterMembership.MemberInfo>> members,
      Supplier<HealthRoutes.Readiness> readiness,
      int websocketPort,
      RetainedStore retained,
      SessionManager sessions,
      Supplier<SplitBrain> splitBrain,
      Supplier<Future<JsonObject>> bridges) {}

  /**
   * The node's split-brain protection: whether it is on ({@code
   * cluster.split-brain-protection.enabled}), the members it needs, and whether it sees them (when
   * not, the cluster's maps refuse writes here).
   */
  public record SplitBrain(boolean protection, int minimumMembers, boolean hasMinimumMembers) {}

  private final Services services;
  private final OverviewApi overview;
  private final MessageRateStream rates;
  private final AccessExplainerApi explainer;
  private final ConnectionsApi connections;
  private final SessionsApi sessions;
  private final RetainedMessagesApi retained;
  private final RoutingMetersApi routingMeters;
  private final BridgesApi bridges;

  public ConsoleRoutes(Services services) {
    this.services = services;
    OtherNodes otherNodes = new OtherNodes(services.members());
    this.overview = new OverviewApi(services);
    this.rates = new MessageRateStream(services, otherNodes);
    this.explainer = new AccessExplainerApi(services);
    this.connections = new ConnectionsApi(services, otherNodes);
    this.sessions = new SessionsApi(services);
    this.retained = new RetainedMessagesApi(services.retained());
    this.routingMeters = new RoutingMetersApi(services, otherNodes);
    this.bridges = new BridgesApi(services, otherNodes);
  }

  /**
   * The page and its libraries: no credential needed, nothing in them is data. Also starts
   * answering the other nodes' consoles for this node's meters, and sampling its message rates
   * (called from the verticle's start).
   */
  @Override
  public void mountStatic(Router router) {
    answerOtherNodes(Vertx.currentContext().owner());
    rates.sampleRates(Vertx.currentContext().owner());
    // exactly /console: a plain path route would match /console/ too
    router.getWithRegex("/console").handler(ctx -> ctx.redirect("/console/"));
    router.route("/console/*").handler(ConsoleRoutes::securityHeaders);
    router
        .get("/console/webjars/*")
        .handler(
            StaticHandler.create("META-INF/resources/webjars")
                .setCachingEnabled(true)
                .setDirectoryListing(false));
    router
        .get("/console/*")
        .handler(
            StaticHandler.create(WEB_ROOT)
                .setIndexPage("index.html")
                .setDirectoryListing(false)
                // a new version of the console must be seen on the next load
                .setCachingEnabled(false));
  }

  /**
   * The console's API endpoints under one namespace path prefix; call after the admin check and
   * body handler are routed for the prefix, before the model's {@code /:kind} routes.
   */
  @Override
  public void mountApi(Router router, String prefix) {
    router.get(prefix + "/overview").handler(overview::overview);
    router.get(prefix + "/overview/rates").handler(rates::rateStream);
    router.post(prefix + "/explainAccess").handler(explainer::explain);
    router.post(prefix + "/previewClientGroup").handler(explainer::previewClientGroup);
    router.get(prefix + "/connections").handler(connections::connections);
    router.post(prefix + "/connections/:clientId/disconnect").handler(connections::disconnect);
    router.get(prefix + "/sessions").handler(sessions::sessions);
    router.delete(prefix + "/sessions/:clientId").handler(sessions::deleteSession);
    router.get(prefix + "/retainedMessages").handler(retained::list);
    router.delete(prefix + "/retainedMessages").handler(retained::delete);
    router.get(prefix + "/routingMeters").handler(routingMeters::routingMeters);
    router.get(prefix + "/bridges").handler(bridges::bridges);
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
        // everything from this node; the MQTT page opens a WebSocket to the broker's listener
        .putHeader(
            "Content-Security-Policy",
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:;"
                + " frame-ancestors 'none'")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  /**
   * Answers other nodes' consoles about this node: its meters ({@code op} {@code meters}), its
   * connections ({@code connections}, with {@code search}) and their end ({@code disconnect}, with
   * {@code clientId}). Registered from the management verticle, so it goes when the verticle is
   * undeployed.
   */
  private void answerOtherNodes(Vertx vertx) {
    vertx
        .eventBus()
        .<JsonObject>consumer(
            OtherNodes.address(services.nodeId()),
            msg -> {
              JsonObject q = msg.body() == null ? new JsonObject() : msg.body();
              switch (q.getString("op", "")) {
                case "meters" ->
                    vertx
                        .executeBlocking(overview::nodeStatus, false)
                        .onComplete(
                            ar -> {
                              if (ar.succeeded()) {
                                msg.reply(ar.result());
                              } else {
                                msg.fail(500, ar.cause().toString());
                              }
                            });
                case "connections" ->
                    msg.reply(connections.localConnections(q.getString("search", "")));
                case "rates" ->
                    msg.reply(
                        new JsonObject()
                            .put(
                                "points",
                                rates.between(
                                    q.getLong("after", Long.MIN_VALUE),
                                    q.getLong("upTo", Long.MAX_VALUE))));
                case "routingMeters" -> msg.reply(routingMeters.localRoutingMeters());
                case "bridges" ->
                    services
                        .bridges()
                        .get()
                        .onComplete(
                            ar -> {
                              if (ar.succeeded()) {
                                msg.reply(ar.result().copy().put("answeredBy", services.nodeId()));
                              } else {
                                msg.fail(500, ar.cause().toString());
                              }
                            });
                case "deleteSession" ->
                    services
                        .sessions()
                        .deleteOffline(q.getString("clientId", ""))
                        .onComplete(
                            ar -> {
                              if (ar.succeeded()) {
                                msg.reply(new JsonObject().put("deletion", ar.result().name()));
                              } else {
                                msg.fail(500, ar.cause().toString());
                              }
                            });
                case "disconnect" ->
                    msg.reply(
                        new JsonObject()
                            .put(
                                "disconnected",
                                connections.disconnectLocal(q.getString("clientId", ""))));
                default -> msg.fail(400, "unknown op");
              }
            });
  }
}
