package io.mqttgrid.session;

import java.util.Map;
import java.util.TreeMap;
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

  private final long intervalMillis;
  private final LongSupplier clock;
  private final Map<String, Long> counts = new TreeMap<>();
  private long lastLogged = Long.MIN_VALUE;
  private String exampleClient;

  DropLog(long intervalMillis, LongSupplier clock) {
    this.intervalMillis = intervalMillis;
    this.clock = clock;
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
    String line;
    synchronized (this) {
      counts.merge(reason + " (" + bound(reason, state, persistent, limits) + ")", 1L, Long::sum);
      if (exampleClient == null) {
        exampleClient = clientId;
      }
      long now = clock.getAsLong();
      if (lastLogged != Long.MIN_VALUE && now - lastLogged < intervalMillis) {
        return null;
      }
      StringBuilder b = new StringBuilder();
      counts.forEach(
          (k, n) -> b.append(b.length() == 0 ? "" : ", ").append(n).append(' ').append(k));
      line =
          "messages dropped by sessions "
              + (lastLogged == Long.MIN_VALUE
                  ? "(first this run)"
                  : "in the last " + (now - lastLogged) / 1000 + " s")
              + ": "
              + b
              + "; e.g. for client "
              + exampleClient
              + " (each counted in mqttgrid_messages_dropped_total)";
      counts.clear();
      exampleClient = null;
      lastLogged = now;
    }
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
