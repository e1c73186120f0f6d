package io.mqttgrid.console;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.AccessPolicy;
import io.mqttgrid.access.ClientGroupQuery;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.ModelValidationException;
import io.mqttgrid.access.NamespaceAccess;
import io.mqttgrid.access.NamespaceLimits;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.access.NamespaceModelJson;
import io.mqttgrid.access.PermissionBinding.Permission;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.http.HealthRoutes;
import io.mqttgrid.http.ManagementApiVerticle;
import io.mqttgrid.http.ManagementErrors;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionManager;
import io.mqttgrid.session.SessionRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console on the management port: its static files under {@code /console/} (the page shell,
 * served to anyone: it holds no data and asks for the management token before any call), the
 * browser libraries it uses from their WebJars, and the management API endpoints it needs beyond
 * the namespace model's: the node's overview, the access explainer, the connections of the node and
 * their disconnection. Those endpoints sit under the namespace paths, behind the same admin check
 * as the rest of the API.
 */
public final class ConsoleRoutes implements ManagementApiVerticle.Extension {

  private static final Logger LOG = LoggerFactory.getLogger(ConsoleRoutes.class);

  /**
   * Where the console's files are on the class path (a name no working directory is likely to
   * have).
   */
  static final String WEB_ROOT = "mqttgrid-console";

  private static final int MAX_CONNECTIONS_LISTED = 1000;
  private static final long NODE_TIMEOUT_MILLIS = 3000;
  private static final int DEFAULT_RETAINED_PAGE = 50;
  private static final int MAX_RETAINED_PAGE = 100;
  private static final int MAX_SESSIONS_LISTED = 100;

  /** The counters of the overview's message totals and of its rate chart. */
  private static final String MESSAGES_IN = "mqtt.successful.published.messages";

  private static final String MESSAGES_OUT = "mqtt.successful.delivered.messages";
  private static final String MESSAGES_DROPPED = "mqttgrid.messages.dropped";

  /** Each node samples its rates in the middle of each 2-second bucket. */
  private static final long SAMPLE_PHASE_MILLIS = 1000;

  /**
   * A bucket is sent to the chart once it ended this long ago: every member sampled it (a second
   * after it began, give or take a late timer), and one whose timer was late filled it in.
   */
  private static final long COMPLETE_AFTER_MILLIS = 3000;

  /** The streams push in the second half of each bucket, away from the members' samples. */
  private static final long PUSH_PHASE_MILLIS = 1500;

  /** What a rate stream may have unsent before its client is taken as gone (about 15 s worth). */
  private static final int MAX_UNSENT_BYTES = 64 * 1024;

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

  /** When this node's console started, with the node: its uptime's origin. */
  private final long startedAtMillis = System.currentTimeMillis();

  private final Services services;

  /** This node's message rates of the last 15 minutes, for the overview's chart. */
  private final MessageRateHistory rates = new MessageRateHistory();

  public ConsoleRoutes(Services services) {
    this.services = services;
  }

  /**
   * The page and its libraries: no credential needed, nothing in them is data. Also starts
   * answering the other nodes' consoles for this node's meters, and sampling its message rates
   * (called from the verticle's start).
   */
  @Override
  public void mountStatic(Router router) {
    answerOtherNodes(Vertx.currentContext().owner());
    sampleRates(Vertx.currentContext().owner());
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
    router.get(prefix + "/overview").handler(this::overview);
    router.get(prefix + "/overview/rates").handler(this::rateStream);
    router.post(prefix + "/explainAccess").handler(this::explain);
    router.post(prefix + "/previewClientGroup").handler(this::previewClientGroup);
    router.get(prefix + "/connections").handler(this::connections);
    router.post(prefix + "/connections/:clientId/disconnect").handler(this::disconnect);
    router.get(prefix + "/sessions").handler(this::sessions);
    router.delete(prefix + "/sessions/:clientId").handler(this::deleteSession);
    router.get(prefix + "/retainedMessages").handler(this::retainedList);
    router.delete(prefix + "/retainedMessages").handler(this::retainedDelete);
    router.get(prefix + "/routingMeters").handler(this::routingMeters);
    router.get(prefix + "/bridges").handler(this::bridges);
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

  // ------------------------------------------------------------------------------------ overview

  private void overview(RoutingContext ctx) {
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

  /** Where a node answers other nodes' consoles on the clustered event bus. */
  static String nodeAddress(String nodeId) {
    return "mqttgrid.console.node." + nodeId;
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
            nodeAddress(services.nodeId()),
            msg -> {
              JsonObject q = msg.body() == null ? new JsonObject() : msg.body();
              switch (q.getString("op", "")) {
                case "meters" ->
                    vertx
                        .executeBlocking(this::nodeStatus, false)
                        .onComplete(
                            ar -> {
                              if (ar.succeeded()) {
                                msg.reply(ar.result());
                              } else {
                                msg.fail(500, ar.cause().toString());
                              }
                            });
                case "connections" -> msg.reply(localConnections(q.getString("search", "")));
                case "rates" ->
                    msg.reply(
                        new JsonObject()
                            .put(
                                "points",
                                rates.between(
                                    q.getLong("after", Long.MIN_VALUE),
                                    q.getLong("upTo", Long.MAX_VALUE))));
                case "routingMeters" -> msg.reply(localRoutingMeters());
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
                            .put("disconnected", disconnectLocal(q.getString("clientId", ""))));
                default -> msg.fail(400, "unknown op");
              }
            });
  }

  /**
   * Asks every other member ({@code op} and arguments in {@code query}); a silent one is left out.
   */
  private Future<List<JsonObject>> askOtherNodes(Vertx vertx, JsonObject query) {
    List<Future<JsonObject>> asked = new ArrayList<>();
    for (ClusterMembership.MemberInfo m : services.members().get()) {
      if (!m.local() && m.node() != null) {
        asked.add(
            vertx
                .eventBus()
                .<JsonObject>request(
                    nodeAddress(m.node()),
                    query,
                    new DeliveryOptions().setSendTimeout(NODE_TIMEOUT_MILLIS))
                .map(reply -> reply.body()));
      }
    }
    return Future.join(asked)
        .otherwiseEmpty()
        .map(
            x -> {
              List<JsonObject> answers = new ArrayList<>();
              for (Future<JsonObject> f : asked) {
                if (f.succeeded()) {
                  answers.add(f.result());
                }
              }
              return answers;
            });
  }

  /**
   * Each other member's meters, asked for over the event bus (a member that does not answer within
   * {@link #NODE_TIMEOUT_MILLIS} is shown unreachable), and the totals of the members that
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
          vertx
              .eventBus()
              .<JsonObject>request(
                  nodeAddress(node),
                  new JsonObject().put("op", "meters"),
                  new DeliveryOptions().setSendTimeout(NODE_TIMEOUT_MILLIS))
              .onSuccess(
                  reply -> {
                    JsonObject status = reply.body();
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
  private JsonObject nodeStatus() {
    return new JsonObject()
        .put("meters", nodeMeters())
        .put("uptimeSeconds", uptimeSeconds())
        .put("splitBrain", splitBrainJson());
  }

  private long uptimeSeconds() {
    return (System.currentTimeMillis() - startedAtMillis) / 1000;
  }

  private JsonObject splitBrainJson() {
    SplitBrain s = services.splitBrain().get();
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

  private static double gauges(MeterRegistry registry, String name) {
    return registry.find(name).gauges().stream().mapToDouble(Gauge::value).sum();
  }

  private static double counters(MeterRegistry registry, String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  // ------------------------------------------------------------------------------- message rates

  /**
   * Samples this node's message counters every 2 seconds into {@link #rates}. The timer is set on
   * the management verticle's context, so Vert.x cancels it when the verticle is undeployed (a
   * deployment's timers are closed with it), as it unregisters the consumer of {@link
   * #answerOtherNodes}. Counters are read from memory: no blocking on the event loop.
   */
  private void sampleRates(Vertx vertx) {
    sampleRatesNow();
    vertx.setPeriodic(
        delayToPhase(System.currentTimeMillis(), SAMPLE_PHASE_MILLIS),
        MessageRateHistory.PERIOD_MILLIS,
        id -> sampleRatesNow());
  }

  private void sampleRatesNow() {
    MeterRegistry m = services.meters();
    rates.sample(
        System.currentTimeMillis(),
        System.nanoTime(),
        counters(m, MESSAGES_IN),
        counters(m, MESSAGES_OUT),
        counters(m, MESSAGES_DROPPED));
  }

  /** The delay from {@code now} to the next time {@code phase} ms into a bucket. */
  private static long delayToPhase(long now, long phase) {
    long delay = Math.floorMod(phase - now, MessageRateHistory.PERIOD_MILLIS);
    return delay == 0 ? MessageRateHistory.PERIOD_MILLIS : delay;
  }

  /** The last bucket every member has sampled at {@code now}. */
  private static long lastCompleteBucket(long now) {
    return MessageRateHistory.bucket(now - COMPLETE_AFTER_MILLIS);
  }

  /**
   * The cluster's message rates as server-sent events: first {@code history}, the points of the
   * last 15 minutes, then {@code rates} every 2 seconds with the points since. Each event's data is
   * {@code {points: [{t, in, out, dropped}], members: [{node, reachable, problem}]}}: per 2-second
   * bucket ({@code t}, its start in epoch ms) the sum of the members that answered, in messages per
   * second; a member that did not answer is left out of the points and shown not reachable.
   */
  private void rateStream(RoutingContext ctx) {
    ctx.request().resume();
    ctx.response()
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .setWriteQueueMaxSize(MAX_UNSENT_BYTES);
    new RateStream(ctx).start();
  }

  /**
   * One client's stream. Its work is bounded: one timer, at most one gathering from the members at
   * a time (a tick that finds the previous one unanswered is skipped, and the next one sends both
   * buckets), and a client that stops reading is disconnected once {@link #MAX_UNSENT_BYTES} wait.
   */
  private final class RateStream {
    private final RoutingContext ctx;
    private final Vertx vertx;
    private long sentUpTo;
    private long timer = -1;
    private boolean gathering;
    private boolean closed;

    RateStream(RoutingContext ctx) {
      this.ctx = ctx;
      this.vertx = ctx.vertx();
    }

    void start() {
      ctx.response().closeHandler(v -> stop());
      ctx.response().exceptionHandler(e -> stop());
      long upTo = lastCompleteBucket(System.currentTimeMillis());
      gather(
          upTo - MessageRateHistory.CAPACITY * MessageRateHistory.PERIOD_MILLIS,
          upTo,
          "history",
          () ->
              timer =
                  vertx.setPeriodic(
                      delayToPhase(System.currentTimeMillis(), PUSH_PHASE_MILLIS),
                      MessageRateHistory.PERIOD_MILLIS,
                      id -> push()));
    }

    private void push() {
      if (closed || gathering) {
        return;
      }
      if (ctx.response().writeQueueFull()) {
        LOG.debug("console rate stream: the client stopped reading, disconnected");
        stop();
        ctx.request().connection().close();
        return;
      }
      gather(sentUpTo, lastCompleteBucket(System.currentTimeMillis()), "rates", () -> {});
    }

    private void gather(long after, long upTo, String event, Runnable then) {
      gathering = true;
      clusterRates(vertx, after, upTo)
          .onComplete(
              ar -> {
                gathering = false;
                if (closed) {
                  return;
                }
                sentUpTo = Math.max(sentUpTo, upTo);
                // the event-stream framing is two lines; vertx-web has no server-sent events. The
                // data is one line: encoded JSON holds no line break
                ctx.response()
                    .write("event: " + event + "\ndata: " + ar.result().encode() + "\n\n");
                then.run();
              });
    }

    private void stop() {
      if (!closed) {
        closed = true;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
        }
      }
    }
  }

  /**
   * Every member's points of the buckets after {@code after} up to {@code upTo}, asked for over the
   * event bus as the overview asks for their meters, summed per bucket. Never fails: a member that
   * does not answer within {@link #NODE_TIMEOUT_MILLIS} is left out and shown not reachable.
   */
  private Future<JsonObject> clusterRates(Vertx vertx, long after, long upTo) {
    JsonObject query = new JsonObject().put("op", "rates").put("after", after).put("upTo", upTo);
    JsonArray members = new JsonArray();
    List<JsonArray> answers = new ArrayList<>();
    List<Future<?>> asked = new ArrayList<>();
    for (ClusterMembership.MemberInfo m : services.members().get()) {
      JsonObject member = new JsonObject().put("node", m.node());
      members.add(member);
      if (m.local()) {
        member.put("reachable", true);
        answers.add(rates.between(after, upTo));
      } else if (m.node() == null) {
        member.put("reachable", false);
      } else {
        asked.add(
            vertx
                .eventBus()
                .<JsonObject>request(
                    nodeAddress(m.node()),
                    query,
                    new DeliveryOptions().setSendTimeout(NODE_TIMEOUT_MILLIS))
                .onSuccess(
                    reply -> {
                      member.put("reachable", true);
                      answers.add(reply.body().getJsonArray("points", new JsonArray()));
                    })
                .onFailure(e -> member.put("reachable", false).put("problem", e.getMessage())));
      }
    }
    return Future.join(asked)
        .otherwiseEmpty()
        .map(
            x ->
                new JsonObject()
                    .put("points", MessageRateHistory.sumByBucket(answers))
                    .put("members", members));
  }

  // ------------------------------------------------------------------------------------- bridges

  /**
   * The bridges as {@code GET /bridges} reports them, with each instance's state and counters from
   * the node that runs it: that node's own {@code GET /bridges} answer, asked for over the event
   * bus (the other nodes report the instance stopped, with no counters).
   */
  private void bridges(RoutingContext ctx) {
    ctx.request().resume();
    Vertx vertx = ctx.vertx();
    services
        .bridges()
        .get()
        .compose(
            local ->
                askOtherNodes(vertx, new JsonObject().put("op", "bridges"))
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

  // ------------------------------------------------------------------------------ routing meters

  /**
   * The routing meters of the cluster (each node counts the events of the messages it accepted):
   * the sums of every member that answered of what {@code /metrics} shows per node.
   */
  private void routingMeters(RoutingContext ctx) {
    ctx.request().resume();
    JsonObject total = localRoutingMeters();
    askOtherNodes(ctx.vertx(), new JsonObject().put("op", "routingMeters"))
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
   * event subscription's name) the events delivered and failed by error, and the events
   * dead-lettered and dropped by reason, which the meters count for every destination together.
   */
  private JsonObject localRoutingMeters() {
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
    return new JsonObject()
        .put("destinations", destinations)
        .put("deadLettered", byTag(m, "mqttgrid.routing.dead.lettered.events", "Reason"))
        .put("dropped", byTag(m, "mqttgrid.routing.dropped.events", "Reason"))
        .put("buffered", (long) gauges(m, "mqttgrid.routing.buffered.events"))
        .put("delivered", (long) counters(m, "mqtt.successful.routed.messages"));
  }

  private static JsonObject destination(JsonObject destinations, String name) {
    String key = String.valueOf(name);
    JsonObject d = destinations.getJsonObject(key);
    if (d == null) {
      d = new JsonObject().put("delivered", 0L).put("failed", new JsonObject());
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

  // ----------------------------------------------------------------------------- access explainer

  private void explain(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
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
  private void previewClientGroup(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
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

  // ---------------------------------------------------------------------------------- connections

  /**
   * The connections of every node whose client id or authentication name contains {@code search}.
   */
  private void connections(RoutingContext ctx) {
    ctx.request().resume();
    String search = ctx.request().getParam("search", "");
    JsonArray value = localConnections(search).getJsonArray("value").copy();
    askOtherNodes(ctx.vertx(), new JsonObject().put("op", "connections").put("search", search))
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

  private JsonObject localConnections(String search) {
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
  private void disconnect(RoutingContext ctx) {
    ctx.request().resume();
    String clientId = ctx.pathParam("clientId");
    int here = disconnectLocal(clientId);
    askOtherNodes(ctx.vertx(), new JsonObject().put("op", "disconnect").put("clientId", clientId))
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

  private int disconnectLocal(String clientId) {
    int n = services.connections().disconnect(clientId);
    if (n > 0) {
      LOG.info("client '{}' disconnected through the management API", clientId);
    }
    return n;
  }

  // ------------------------------------------------------------------------------------- sessions

  /**
   * The persistent sessions of the cluster, online and offline, whose client id contains {@code
   * search} (first {@link #MAX_SESSIONS_LISTED} by client id), from the shared session store: the
   * node hosting each, its subscriptions, its queue (messages not yet sent, and sent but not
   * acknowledged) and its will. Reads every record of the store to filter them: a console's
   * occasional search, not a device's path.
   */
  private void sessions(RoutingContext ctx) {
    ctx.request().resume();
    String needle = ctx.request().getParam("search", "");
    long now = System.currentTimeMillis();
    services
        .sessions()
        .store()
        .search(needle)
        .compose(
            matching -> {
              List<SessionRecord> found = new ArrayList<>();
              for (SessionRecord r : matching) {
                // a record of expiry 0 is a transient session's will, kept for failover only
                if (r.expirySeconds() > 0 && !r.isExpired(now)) {
                  found.add(r);
                }
              }
              found.sort(java.util.Comparator.comparing(SessionRecord::clientId));
              List<SessionRecord> page =
                  found.subList(0, Math.min(found.size(), MAX_SESSIONS_LISTED));
              List<Future<JsonObject>> rows = new ArrayList<>();
              for (SessionRecord r : page) {
                rows.add(
                    services
                        .sessions()
                        .store()
                        .queued(r.clientId())
                        .map(queue -> sessionJson(r, queue)));
              }
              return Future.all(rows)
                  .map(
                      x ->
                          new JsonObject()
                              .put("total", found.size())
                              .put("value", new JsonArray(x.list())));
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console session search failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the sessions could not be read", null);
              } else {
                ctx.json(ar.result());
              }
            });
  }

  private static JsonObject sessionJson(SessionRecord r, List<QueuedMessage> queue) {
    int queued = 0;
    int inFlight = 0;
    for (QueuedMessage m : queue) {
      if (m.state() == QueuedMessage.State.QUEUED) {
        queued++;
      } else {
        inFlight++;
      }
    }
    JsonArray subscriptions = new JsonArray();
    for (Subscription s : r.subscriptions()) {
      subscriptions.add(new JsonObject().put("filter", s.filter()).put("qos", s.qos()));
    }
    PublishedMessage will = r.will();
    return new JsonObject()
        .put("clientId", r.clientId())
        .put("node", r.ownerNode())
        .put("state", r.connected() ? "online" : "offline")
        .put("protocolVersion", r.protocolVersion() == 5 ? "5" : "3.1.1")
        .put(
            "expirySeconds",
            r.expirySeconds() == SessionRecord.NEVER_EXPIRES ? null : r.expirySeconds())
        .put(
            "disconnectedAt",
            r.connected() ? null : Instant.ofEpochMilli(r.disconnectedAtMillis()).toString())
        .put("subscriptions", subscriptions)
        .put("queued", queued)
        .put("inFlight", inFlight)
        .put(
            "will",
            will == null
                ? null
                : new JsonObject()
                    .put("topic", will.topic())
                    .put("qos", will.qos())
                    .put("retain", will.retain())
                    .put("payloadSize", will.payload().length)
                    .put("delaySeconds", r.willDelaySeconds()));
  }

  /**
   * Deletes an offline session (its record, queue and pending will) on the node hosting it, so that
   * its routes go too; the client's next connect finds no session. An online session is refused
   * (409): disconnect it first.
   */
  private void deleteSession(RoutingContext ctx) {
    ctx.request().resume();
    String clientId = ctx.pathParam("clientId");
    Vertx vertx = ctx.vertx();
    services
        .sessions()
        .store()
        .load(clientId)
        .compose(
            r -> {
              if (r == null || r.connected() || isLocalOrGone(r.ownerNode())) {
                return services.sessions().deleteOffline(clientId);
              }
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      nodeAddress(r.ownerNode()),
                      new JsonObject().put("op", "deleteSession").put("clientId", clientId),
                      new DeliveryOptions().setSendTimeout(NODE_TIMEOUT_MILLIS))
                  .map(
                      reply -> SessionManager.Deletion.valueOf(reply.body().getString("deletion")));
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console session delete failed: {}", ar.cause().toString());
                error(
                    ctx,
                    503,
                    "ServiceUnavailable",
                    "the node hosting session '" + clientId + "' did not answer",
                    null);
                return;
              }
              switch (ar.result()) {
                case NOT_FOUND ->
                    error(ctx, 404, "NotFound", "no session of client '" + clientId + "'", null);
                case ONLINE ->
                    error(
                        ctx,
                        409,
                        "Conflict",
                        "the client '" + clientId + "' is connected: disconnect it first",
                        null);
                case DELETED -> {
                  LOG.info("session of client '{}' deleted through the management API", clientId);
                  ctx.json(new JsonObject().put("clientId", clientId).put("deleted", true));
                }
              }
            });
  }

  /**
   * Whether {@code node} is this one, or no longer a member (then its sessions' records are left).
   */
  private boolean isLocalOrGone(String node) {
    if (services.nodeId().equals(node)) {
      return true;
    }
    for (ClusterMembership.MemberInfo m : services.members().get()) {
      if (node != null && node.equals(m.node())) {
        return false;
      }
    }
    return true;
  }

  // ----------------------------------------------------------------------------- retained messages

  /**
   * The retained messages matching {@code filter} (default {@code #}), {@code top} at a time in
   * topic order after {@code after}, with their payloads (base64) and properties: the operator's
   * view, which the public retained-message API on the HTTP port leaves to clients with the right
   * to subscribe.
   */
  private void retainedList(RoutingContext ctx) {
    ctx.request().resume();
    String filter = ctx.request().getParam("filter", "#");
    if (Topics.checkFilter(filter, Integer.MAX_VALUE, Integer.MAX_VALUE) != Topics.Check.OK
        || filter.startsWith(Topics.SHARE_PREFIX)) {
      error(ctx, 400, "InvalidRequest", "filter: not a valid MQTT topic filter", "filter");
      return;
    }
    int top;
    try {
      top = Integer.parseInt(ctx.request().getParam("top", String.valueOf(DEFAULT_RETAINED_PAGE)));
      if (top < 1 || top > MAX_RETAINED_PAGE) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "InvalidRequest", "top: an integer from 1 to " + MAX_RETAINED_PAGE, "top");
      return;
    }
    services
        .retained()
        .list(filter, ctx.request().getParam("after"), top)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console retained list failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the retained messages could not be read", null);
                return;
              }
              JsonArray value = new JsonArray();
              for (PublishedMessage m : ar.result().messages()) {
                value.add(retainedJson(m));
              }
              ctx.json(
                  new JsonObject()
                      .put("value", value)
                      .put("continueAfter", ar.result().continueAfter()));
            });
  }

  private static JsonObject retainedJson(PublishedMessage m) {
    JsonArray userProperties = new JsonArray();
    for (PublishedMessage.UserProperty p : m.userProperties()) {
      userProperties.add(new JsonObject().put("name", p.name()).put("value", p.value()));
    }
    return new JsonObject()
        .put("topic", m.topic())
        .put("qos", m.qos())
        .put("payload", Base64.getEncoder().encodeToString(m.payload()))
        .put("payloadSize", m.payload().length)
        .put("payloadFormatIndicator", m.payloadFormat() < 0 ? null : m.payloadFormat())
        .put("contentType", m.contentType())
        .put("responseTopic", m.responseTopic())
        .put(
            "correlationData",
            m.correlationData() == null
                ? null
                : Base64.getEncoder().encodeToString(m.correlationData()))
        .put("userProperties", userProperties)
        .put("publisherClientId", m.publisherClientId())
        .put("createdAt", Instant.ofEpochMilli(m.createdAtMillis()).toString())
        .put(
            "expiresAt",
            m.expiresAtMillis() > 0 ? Instant.ofEpochMilli(m.expiresAtMillis()).toString() : null);
  }

  /**
   * Deletes one topic's retained message; subscribers are not told (as an empty retained publish
   * would not either).
   */
  private void retainedDelete(RoutingContext ctx) {
    ctx.request().resume();
    String topic = ctx.request().getParam("topic");
    if (Topics.checkName(topic, Integer.MAX_VALUE, Integer.MAX_VALUE) != Topics.Check.OK) {
      error(ctx, 400, "InvalidRequest", "topic: required, a topic name (no wildcards)", "topic");
      return;
    }
    services
        .retained()
        .remove(topic)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console retained delete failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the retained message could not be deleted", null);
                return;
              }
              if (ar.result()) {
                LOG.info("retained message of '{}' deleted through the management API", topic);
              }
              // as the model's resources: 200 when something was deleted, 204 when nothing was
              ctx.response().setStatusCode(ar.result() ? 200 : 204).end();
            });
  }

  // -------------------------------------------------------------------------------------- helpers

  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      Object parsed = ctx.body().buffer() == null ? null : ctx.body().buffer().toJsonValue();
      if (parsed instanceof JsonObject o) {
        return o;
      }
      error(ctx, 400, "InvalidRequest", "the body must be a JSON object", null);
    } catch (DecodeException e) {
      error(ctx, 400, "InvalidRequest", "the body is not valid JSON", null);
    }
    return null;
  }

  /** The management API's error shape: {@code {"error": {"code", "message", "target"}}}. */
  private static void error(
      RoutingContext ctx, int status, String code, String message, String target) {
    ManagementErrors.send(ctx, status, code, message, target);
  }
}
