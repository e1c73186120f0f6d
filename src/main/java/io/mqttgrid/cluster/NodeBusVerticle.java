package io.mqttgrid.cluster;

import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the publishes other nodes route here and hands them to this node's subscribers, in the
 * order they arrive (one consumer, one event loop: per-publisher order across nodes holds).
 */
public final class NodeBusVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NodeBusVerticle.class);

  private final String node;
  private final MessageRouter router;
  private final SessionManager sessions;
  private final HazelcastRouteTable routes;
  private MessageConsumer<Buffer> consumer;
  private MessageConsumer<JsonObject> sessionConsumer;

  public NodeBusVerticle(
      String node, MessageRouter router, SessionManager sessions, HazelcastRouteTable routes) {
    this.node = node;
    this.routes = routes;
    this.router = router;
    this.sessions = sessions;
  }

  @Override
  public Future<?> start() {
    consumer =
        vertx
            .eventBus()
            .consumer(
                EventBusRemoteDelivery.address(node),
                msg -> {
                  NodeMessages.Delivery d;
                  try {
                    d = NodeMessages.decode(msg.body());
                  } catch (RuntimeException e) {
                    LOG.warn("undecodable message from another node dropped: {}", e.toString());
                    msg.fail(400, "undecodable");
                    return;
                  }
                  router
                      .routeLocal(d.message(), d.plain(), d.sharedGroups())
                      .onComplete(
                          ar -> {
                            if (msg.replyAddress() == null) {
                              return;
                            }
                            if (ar.succeeded()
                                && ar.result() == 0
                                && d.plain()
                                && !routes.routedHere(d.message().topic())) {
                              // sent on a route this node never had (it restarted under the same
                              // id): the publisher must not be
                              // told "no matching subscribers" for a subscriber that is elsewhere;
                              // it is told of a failure
                              msg.fail(
                                  404,
                                  "node "
                                      + node
                                      + " has no route for '"
                                      + d.message().topic()
                                      + "'");
                            } else if (ar.succeeded()) {
                              msg.reply(ar.result());
                            } else if (ar.cause() instanceof QueueFullException) {
                              msg.fail(
                                  QueueFullException.REPLY_FAILURE_CODE, ar.cause().getMessage());
                            } else {
                              msg.fail(500, String.valueOf(ar.cause().getMessage()));
                            }
                          });
                });
    sessionConsumer =
        vertx
            .eventBus()
            .consumer(
                EventBusRemoteSessions.address(node),
                msg -> EventBusRemoteSessions.handle(sessions, msg));
    return Future.all(consumer.completion(), sessionConsumer.completion());
  }

  @Override
  public Future<?> stop() {
    return Future.all(
        consumer == null ? Future.succeededFuture() : consumer.unregister(),
        sessionConsumer == null ? Future.succeededFuture() : sessionConsumer.unregister());
  }
}
