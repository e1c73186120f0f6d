package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.routing.RemoteDelivery;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends a publish to another node over the clustered event bus, to that node's one address (lesson
 * 3: one clustered address per node, not per client). QoS 0 is fire-and-forget; QoS 1/2 waits for
 * the other node to answer that its subscribers hold the message, so the publisher's
 * acknowledgement means the same on every node.
 */
public final class EventBusRemoteDelivery implements RemoteDelivery {

  private final Vertx vertx;
  private final DeliveryOptions options;

  /**
   * QoS 1/2 deliveries waiting for a node's answer, so that a node's departure can fail them at
   * once.
   */
  private final Map<String, Set<Promise<Integer>>> waiting = new ConcurrentHashMap<>();

  /**
   * Nodes that left and have not come back: their routes are about to be purged, nothing waits for
   * them.
   */
  private final Set<String> departed = ConcurrentHashMap.newKeySet();

  public EventBusRemoteDelivery(Vertx vertx, long timeoutMillis) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMillis);
  }

  public static String address(String node) {
    return "mqttgrid.node." + node + ".publish";
  }

  @Override
  public Future<Integer> deliver(
      String node, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    if (departed.contains(node)) {
      return message.qos() == 0
          ? Future.succeededFuture(-1)
          : Future.failedFuture("node " + node + " left the cluster");
    }
    var body = NodeMessages.encode(message, plain, sharedGroups);
    if (message.qos() == 0) {
      vertx.eventBus().send(address(node), body, options);
      return Future.succeededFuture(-1);
    }
    Promise<Integer> answer = Promise.promise();
    Set<Promise<Integer>> forNode =
        waiting.computeIfAbsent(node, k -> ConcurrentHashMap.newKeySet());
    forNode.add(answer);
    vertx
        .eventBus()
        .<Integer>request(address(node), body, options)
        .onComplete(
            ar -> {
              forNode.remove(answer);
              if (ar.succeeded()) {
                answer.tryComplete(ar.result().body());
              } else if (ar.cause() instanceof ReplyException r
                  && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
                  && r.failureCode() == QueueFullException.REPLY_FAILURE_CODE) {
                answer.tryFail(new QueueFullException(r.getMessage()));
              } else {
                answer.tryFail(ar.cause());
              }
            });
    return answer.future();
  }

  /** {@code node} is a member (again). */
  public void nodeJoined(String node) {
    departed.remove(node);
  }

  /**
   * {@code node} left the cluster: what still waits for its answer fails now instead of at the
   * timeout, so that its publishers hear at once (PUBACK 0x80) and are not held up behind it.
   */
  public void nodeLeft(String node) {
    departed.add(node);
    Set<Promise<Integer>> forNode = waiting.remove(node);
    if (forNode != null) {
      for (Promise<Integer> p : forNode) {
        p.tryFail("node " + node + " left the cluster");
      }
    }
  }
}
