package io.mqttgrid.cluster;

import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the publishes other nodes route here and hands them to this node's subscribers, in the
 * order they arrive (one consumer, one event loop: per-publisher order across nodes holds). They
 * come in batches (see EventBusRemoteDelivery); a batch is answered once, when each of its
 * publishes is held by the subscribers here or has failed, with every publish's outcome.
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
            .consumer(EventBusRemoteDelivery.address(node), msg -> receive(msg, this::deliverHere));
    sessionConsumer =
        vertx
            .eventBus()
            .consumer(
                EventBusRemoteSessions.address(node),
                msg -> EventBusRemoteSessions.handle(sessions, msg));
    return Future.all(consumer.completion(), sessionConsumer.completion());
  }

  private Future<Integer> deliverHere(NodeMessages.Delivery d) {
    return router
        .routeLocal(d.message(), d.plain(), d.sharedGroups())
        .compose(
            reached -> {
              if (reached == 0
                  && d.plain()
                  && d.message().qos() > 0
                  && !routes.routedHere(d.message().topic())) {
                // sent on a route this node never had (it restarted under the same id): the
                // publisher must not be told "no matching subscribers" for a subscriber that is
                // elsewhere; it is told of a failure
                return Future.failedFuture(
                    new ReplyException(
                        ReplyFailure.RECIPIENT_FAILURE,
                        404,
                        "node " + node + " has no route for '" + d.message().topic() + "'"));
              }
              return Future.succeededFuture(reached);
            });
  }

  /**
   * Delivers each publish of the batch in {@code msg} in order with {@code deliver}, and answers,
   * if the sender waits, once all have an outcome.
   */
  static void receive(
      Message<Buffer> msg, Function<NodeMessages.Delivery, Future<Integer>> deliver) {
    List<NodeMessages.Delivery> batch;
    try {
      batch = NodeMessages.decodeBatch(msg.body());
    } catch (RuntimeException e) {
      LOG.warn("undecodable message from another node dropped: {}", e.toString());
      msg.fail(400, "undecodable");
      return;
    }
    List<Future<Integer>> outcomes = new ArrayList<>(batch.size());
    for (NodeMessages.Delivery d : batch) {
      Future<Integer> outcome;
      try {
        outcome = deliver.apply(d);
      } catch (RuntimeException e) {
        outcome = Future.failedFuture(e);
      }
      outcomes.add(outcome);
    }
    if (msg.replyAddress() == null) {
      return;
    }
    Future.join(outcomes).onComplete(all -> msg.reply(NodeMessages.encodeOutcomes(outcomes)));
  }

  @Override
  public Future<?> stop() {
    return Future.all(
        consumer == null ? Future.succeededFuture() : consumer.unregister(),
        sessionConsumer == null ? Future.succeededFuture() : sessionConsumer.unregister());
  }
}
