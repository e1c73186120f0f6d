package io.mqttgrid.session;

/**
 * Bounds of one session's queues.
 *
 * @param maxQueued             messages kept for a client that is offline (Event Grid: 100)
 * @param maxQueuedBytes        the same, in bytes (Event Grid: 1 MiB)
 * @param maxPending            messages waiting for room in a connected client's in-flight window
 * @param maxPendingBytes       the same, in bytes
 * @param terminateOnOverflow   end the session when a message would exceed the bound (Event Grid); else
 *                              the message is dropped for this session
 * @param maxOutboundBuffered   QoS 0 messages waiting to be written to a slow client's socket
 */
public record SessionLimits(int maxQueued, long maxQueuedBytes, int maxPending, long maxPendingBytes,
                            boolean terminateOnOverflow,
                            int maxOutboundBuffered) {
}
