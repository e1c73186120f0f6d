package io.mqttgrid.routing;

import io.vertx.core.VertxException;

/**
 * A subscriber matched a QoS 1 or 2 message but could not keep it: its session's queue is at its
 * bounds ({@code session.max-queued-*} offline, {@code session.max-pending-*} online). When no
 * subscriber kept the message, the publish fails with this, and its publisher hears Quota exceeded
 * rather than a success for a message nobody holds.
 */
public final class QueueFullException extends VertxException {

  /** What the node that could not keep a message answers the node that sent it to it. */
  public static final int REPLY_FAILURE_CODE = 507;

  public QueueFullException(String message) {
    super(message, true);
  }
}
