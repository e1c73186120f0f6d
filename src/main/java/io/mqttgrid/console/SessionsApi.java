package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;

import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionManager;
import io.mqttgrid.session.SessionRecord;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The console's sessions page: the persistent sessions of the cluster, and their deletion. */
final class SessionsApi {

  private static final Logger LOG = LoggerFactory.getLogger(SessionsApi.class);

  private static final int MAX_SESSIONS_LISTED = 100;

  private final ConsoleRoutes.Services services;

  SessionsApi(ConsoleRoutes.Services services) {
    this.services = services;
  }

  /**
   * The persistent sessions of the cluster, online and offline, whose client id contains {@code
   * search} (first {@link #MAX_SESSIONS_LISTED} by client id), from the shared session store: the
   * node hosting each, its subscriptions, its queue (messages not yet sent, and sent but not
   * acknowledged) and its will. Reads every record of the store to filter them: a console's
   * occasional search, not a device's path.
   */
  void sessions(RoutingContext ctx) {
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
  void deleteSession(RoutingContext ctx) {
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
              return OtherNodes.request(
                      vertx,
                      r.ownerNode(),
                      new JsonObject().put("op", "deleteSession").put("clientId", clientId))
                  .map(reply -> SessionManager.Deletion.valueOf(reply.getString("deletion")));
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
}
