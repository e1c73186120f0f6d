package io.mqttgrid.routing;

import io.vertx.core.Future;
import java.util.List;

/**
 * Hands a message to another node, which routes it to its own subscribers only (no further hops).
 * One message per interested node; messages to one node keep their order.
 */
public interface RemoteDelivery {

  /**
   * @param sharedGroups the {@code $share} groups whose one delivery that node must make
   * @param plain whether the node's plain subscriptions match too
   * @return the number of subscribers reached there, once they hold the message as safely as they
   *     promise (for QoS 0: at once, with -1 as the count is unknown)
   */
  Future<Integer> deliver(
      String node, PublishedMessage message, boolean plain, List<String> sharedGroups);
}
