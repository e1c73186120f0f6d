package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.RemoteDelivery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.List;

/**
 * Sends a publish to another node over the clustered event bus, to that node's one address (lesson 3: one
 * clustered address per node, not per client). QoS 0 is fire-and-forget; QoS 1/2 waits for the other node
 * to answer that its subscribers hold the message, so the publisher's acknowledgement means the same on
 * every node.
 */
public final class EventBusRemoteDelivery implements RemoteDelivery {

  private final Vertx vertx;
  private final DeliveryOptions options;

  public EventBusRemoteDelivery(Vertx vertx, long timeoutMillis) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMillis);
  }

  public static String address(String node) {
    return "mqttgrid.node." + node + ".publish";
  }

  @Override
  public Future<Integer> deliver(String node, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    var body = NodeMessages.encode(message, plain, sharedGroups);
    if (message.qos() == 0) {
      vertx.eventBus().send(address(node), body, options);
      return Future.succeededFuture(-1);
    }
    return vertx.eventBus().<Integer>request(address(node), body, options).map(reply -> reply.body());
  }
}
