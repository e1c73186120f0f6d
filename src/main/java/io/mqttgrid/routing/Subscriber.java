package io.mqttgrid.routing;

import io.vertx.core.Future;

/** Something the router delivers to: a session on this node, connected or not. */
public interface Subscriber {

  String clientId();

  /** Whether a client is connected to it now (shared subscriptions prefer connected members). */
  boolean isOnline();

  /**
   * Hands over one message. The returned future completes once the message is as safe as the
   * subscriber promises (for a persistent session at QoS 1/2: in its durable queue), or fails with
   * {@link QueueFullException} when the subscriber's bounds left no room for it; it never blocks
   * the caller.
   *
   * @param sharedGroup the {@code $share} group key the message came through, or null
   */
  Future<Void> deliver(
      PublishedMessage message, int qos, boolean retain, int[] subscriptionIds, String sharedGroup);

  /**
   * Whether a newer copy of this subscriber, on this node, already took its place (a reconnect of
   * the same client id that takes the session over): the router then delivers to the newer copy
   * only, until the old one is retired.
   */
  default boolean superseded() {
    return false;
  }
}
