package io.mqttgrid.cluster;

import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.mqttgrid.session.RemoteSessions;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * Takeover requests between nodes over the event bus, to each node's one session address. These are
 * rare control messages (one per reconnect that changes node), so they are JSON.
 */
public final class EventBusRemoteSessions implements RemoteSessions {

  private final Vertx vertx;
  private final HazelcastRouteTable members;
  // short (cluster.session-handover-timeout): the client that reconnects waits for its CONNACK
  // meanwhile, and a
  // node that does not answer is asked again after a fresh look at who owns the session
  private final DeliveryOptions options;

  public EventBusRemoteSessions(
      Vertx vertx, HazelcastRouteTable members, long handoverTimeoutMillis) {
    this.vertx = vertx;
    this.members = members;
    this.options = new DeliveryOptions().setSendTimeout(handoverTimeoutMillis);
  }

  public static String address(String node) {
    return "mqttgrid.node." + node + ".sessions";
  }

  @Override
  public boolean isAlive(String node) {
    return members.isMember(node);
  }

  @Override
  public Future<Void> stepDown(String node, String clientId, boolean sessionContinues) {
    return vertx
        .eventBus()
        .request(
            address(node),
            new JsonObject()
                .put("op", "stepDown")
                .put("clientId", clientId)
                .put("continues", sessionContinues),
            options)
        .mapEmpty();
  }

  @Override
  public Future<Void> retire(String node, String clientId, boolean sessionContinues) {
    return vertx
        .eventBus()
        .request(
            address(node),
            new JsonObject()
                .put("op", "retire")
                .put("clientId", clientId)
                .put("continues", sessionContinues),
            options)
        .mapEmpty();
  }

  /** The receiving side, on the node that hosts the old session. */
  static void handle(SessionManager sessions, Message<JsonObject> msg) {
    JsonObject body = msg.body();
    String clientId = body.getString("clientId");
    Future<Void> done =
        switch (String.valueOf(body.getString("op"))) {
          case "stepDown" -> sessions.stepDownLocal(clientId, body.getBoolean("continues", true));
          case "retire" -> sessions.retireLocal(clientId, body.getBoolean("continues", true));
          default -> Future.failedFuture("unknown operation");
        };
    done.onComplete(
        ar -> {
          if (ar.succeeded()) {
            msg.reply(null);
          } else {
            msg.fail(500, String.valueOf(ar.cause().getMessage()));
          }
        });
  }
}
