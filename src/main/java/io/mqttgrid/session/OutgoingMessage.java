package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * A message on its way from a {@link Session} to its client, with its entry in the session's
 * durable queue (persistent sessions). On the session's context.
 */
final class OutgoingMessage extends OutboundWindow.Message {
  QueuedMessage stored;
  Future<SessionQueue.AppendResult> appended;

  /** Its append while it may still be taken back; null for a message the store gave back. */
  QueueWriter.Append append;

  /**
   * The publisher's acknowledgement, held back until the message is sent because the session was
   * behind when it arrived (a clean session; {@code session.hold-acks-above-pending}); else null.
   */
  Promise<Void> heldAck;

  OutgoingMessage(
      PublishedMessage message,
      int qos,
      boolean retain,
      int[] subscriptionIds,
      String sharedGroup) {
    super(message, qos, retain, subscriptionIds, sharedGroup);
  }
}
