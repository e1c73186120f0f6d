package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;

/**
 * The connection a session sends through, seen from the session: packets out, nothing about bytes
 * or protocol versions. Implemented by the MQTT layer; called only on the session's context.
 */
public interface ClientChannel {

  /**
   * How many QoS 1/2 messages the client accepts in flight (its Receive Maximum, capped by the
   * server).
   */
  int sendWindow();

  /**
   * Whether the PUBLISH, encoded at {@code qos}, would exceed the Maximum Packet Size the client
   * announced.
   */
  boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds);

  /** Writes a PUBLISH; the future completes when it is written to the socket. */
  Future<Void> sendPublish(
      PublishedMessage message,
      int qos,
      boolean retain,
      boolean dup,
      int packetId,
      int[] subscriptionIds);

  void sendPubrel(int packetId);

  /**
   * What is written from now until {@link #releaseFlushes} leaves the socket in one go, at the
   * release (a batch of deliveries). Calls pair up; on the session's context.
   */
  default void holdFlushes() {}

  default void releaseFlushes() {}

  /**
   * Ends the connection from the server side for {@code cause} (MQTT 5: DISCONNECT with its
   * reason).
   */
  void close(EndCause cause);

  /** Why the server ends a connection or a session. */
  enum EndCause {
    SESSION_TAKEN_OVER,
    SERVER_SHUTTING_DOWN,
    QUOTA_EXCEEDED
  }
}
