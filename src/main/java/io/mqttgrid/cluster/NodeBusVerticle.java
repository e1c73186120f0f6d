package io.mqttgrid.cluster;

import io.mqttgrid.routing.MessageRouter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the publishes other nodes route here and hands them to this node's subscribers, in the order
 * they arrive (one consumer, one event loop: per-publisher order across nodes holds).
 */
public final class NodeBusVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NodeBusVerticle.class);

  private final String node;
  private final MessageRouter router;
  private MessageConsumer<Buffer> consumer;

  public NodeBusVerticle(String node, MessageRouter router) {
    this.node = node;
    this.router = router;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(EventBusRemoteDelivery.address(node), msg -> {
      NodeMessages.Delivery d;
      try {
        d = NodeMessages.decode(msg.body());
      } catch (RuntimeException e) {
        LOG.warn("undecodable message from another node dropped: {}", e.toString());
        msg.fail(400, "undecodable");
        return;
      }
      router.routeLocal(d.message(), d.plain(), d.sharedGroups()).onComplete(ar -> {
        if (msg.replyAddress() == null) {
          return;
        }
        if (ar.succeeded()) {
          msg.reply(ar.result());
        } else {
          msg.fail(500, String.valueOf(ar.cause().getMessage()));
        }
      });
    });
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
