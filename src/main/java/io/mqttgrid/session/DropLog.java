package io.mqttgrid.session;

import io.mqttgrid.logging.IntervalCounts;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator, once per interval, that sessions dropped messages, by reason and with the
 * bound that made them drop it: the counter ({@code mqttgrid_messages_dropped_total}) says how
 * many, this says that it happens and which configuration key to look at. A storm of drops is one
 * line per interval, not one per message. Shared by the node's sessions, from any thread.
 */
final class DropLog {

  private static final Logger LOG = LoggerFactory.getLogger(DropLog.class);

  private final IntervalCounts<String> sinceLogged;

  DropLog(long intervalMillis, LongSupplier clock) {
    this.sinceLogged = new IntervalCounts<>(intervalMillis, clock);
  }

  /**
   * One message not delivered to {@code clientId}'s session ({@code persistent} or not), for {@code
   * reason}, in session state {@code state}. Answers the line logged, or null when it waits for the
   * interval's end.
   */
  String dropped(
      String clientId,
      String reason,
      Session.State state,
      boolean persistent,
      SessionLimits limits) {
    // counted by reason and bound: queue-full has a bound of its own per session state
    IntervalCounts.Summary<String> dropped =
        sinceLogged.count(reason + " (" + bound(reason, state, persistent, limits) + ")", clientId);
    if (dropped == null) {
      return null;
    }
    String line =
        "messages dropped by sessions "
            + dropped.period()
            + ": "
            + dropped.listed(k -> k)
            + "; e.g. for client "
            + dropped.example()
            + " (each counted in mqttgrid_messages_dropped_total)";
    LOG.warn(line);
    return line;
  }

  /** The bound behind a drop, as the operator configures it. */
  static String bound(
      String reason, Session.State state, boolean persistent, SessionLimits limits) {
    return switch (reason) {
      case "queue-full" ->
          state == Session.State.OFFLINE
              ? "offline queue full: session.max-queued-messages "
                  + limits.maxQueued()
                  + " / max-queued-bytes "
                  + limits.maxQueuedBytes()
              : state == Session.State.ONLINE && persistent
                  // past the pending bounds a persistent session's store keeps the message
                  ? "connected client behind, stored queue full: session.max-queued-connected-messages "
                      + limits.maxQueuedConnected()
                      + " / max-queued-connected-bytes "
                      + limits.maxQueuedConnectedBytes()
                  : "connected client behind: session.max-pending-messages "
                      + limits.maxPending()
                      + " / max-pending-bytes "
                      + limits.maxPendingBytes();
      case "attach-buffer-full" ->
          "while attaching: session.max-pending-messages "
              + limits.maxPending()
              + " / max-pending-bytes "
              + limits.maxPendingBytes();
      case "slow-subscriber" ->
          "QoS 0, socket full: session.max-outbound-buffered "
              + limits.maxOutboundBuffered()
              + " / max-outbound-buffered-bytes "
              + limits.maxOutboundBufferedBytes();
      case "packet-too-large-for-client" -> "the client's Maximum Packet Size";
      case "expired" -> "the message's expiry interval";
      default -> reason;
    };
  }
}
