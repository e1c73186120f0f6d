package io.mqttgrid.session;

/**
 * Bounds of one session's queues and of what it holds in memory for its connection (see {@link
 * OutboundBudget}).
 *
 * @param maxQueued messages kept for a client that is offline (Event Grid: 100)
 * @param maxQueuedBytes the same, in bytes (Event Grid: 1 MiB)
 * @param maxPending messages waiting for room in a connected client's in-flight window or socket
 * @param maxPendingBytes the same, in bytes
 * @param terminateOnOverflow end the session when a message would exceed a bound (Event Grid); else
 *     the message is dropped for this session
 * @param maxOutboundBuffered PUBLISH packets written to a client's socket and not yet written out
 *     by it
 * @param maxInflightBytes bytes of the QoS 1/2 messages sent to a client and not yet acknowledged
 * @param maxOutboundBufferedBytes bytes of the PUBLISH packets written to a client's socket and not
 *     yet written out by it
 */
public record SessionLimits(
    int maxQueued,
    long maxQueuedBytes,
    int maxPending,
    long maxPendingBytes,
    boolean terminateOnOverflow,
    int maxOutboundBuffered,
    long maxInflightBytes,
    long maxOutboundBufferedBytes) {}
