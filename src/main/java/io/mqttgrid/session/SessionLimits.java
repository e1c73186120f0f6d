package io.mqttgrid.session;

/**
 * Bounds of one session's queues.
 *
 * @param maxQueued             messages not yet sent to the client (offline, or waiting for window room)
 * @param maxQueuedBytes        the same, in bytes
 * @param terminateOnOverflow   end the session when a message would exceed the bound (Event Grid); else
 *                              the message is dropped for this session
 * @param maxOutboundBuffered   QoS 0 messages waiting to be written to a slow client's socket
 */
public record SessionLimits(int maxQueued, long maxQueuedBytes, boolean terminateOnOverflow,
                            int maxOutboundBuffered) {
}
