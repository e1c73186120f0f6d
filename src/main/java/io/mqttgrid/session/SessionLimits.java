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
 * @param holdAcksAbovePending waiting messages (and the same share of {@code maxPendingBytes}) from
 *     which a clean session holds its publishers' QoS 1/2 acknowledgements back until each message
 *     is sent, until the waiting messages drained to half of it; 0: never
 * @param holdAcksMillis the longest one acknowledgement is held back: a session that stopped
 *     reading holds up its publishers no longer than this per message
 * @param maxQueuedConnected messages not sent yet that a connected persistent session's stored
 *     queue keeps (those waiting in memory included): beyond {@code maxPending} the store alone
 *     keeps them, up to this
 * @param maxQueuedConnectedBytes the same, in bytes
 */
public record SessionLimits(
    int maxQueued,
    long maxQueuedBytes,
    int maxPending,
    long maxPendingBytes,
    boolean terminateOnOverflow,
    int maxOutboundBuffered,
    long maxInflightBytes,
    long maxOutboundBufferedBytes,
    int holdAcksAbovePending,
    long holdAcksMillis,
    int maxQueuedConnected,
    long maxQueuedConnectedBytes) {}
