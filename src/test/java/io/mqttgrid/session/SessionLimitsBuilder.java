package io.mqttgrid.session;

/**
 * {@link SessionLimits} for tests: every bound has a value far from what a test reaches unless the
 * test sets it, so that a test names only the bounds it is about.
 */
final class SessionLimitsBuilder {

  private int maxQueued = 1_000;
  private long maxQueuedBytes = 1L << 30;
  private int maxPending = 1_000;
  private long maxPendingBytes = 1L << 30;
  private boolean terminateOnOverflow;
  private int maxOutboundBuffered = 1_000;
  private long maxInflightBytes = 1L << 30;
  private long maxOutboundBufferedBytes = 1L << 30;

  /** Negative: half of {@link #maxPending} (at least 1). */
  private int holdAcksAbovePending = -1;

  private long holdAcksMillis = 1_000;
  private int maxQueuedConnected = Integer.MAX_VALUE;
  private long maxQueuedConnectedBytes = Long.MAX_VALUE;

  SessionLimitsBuilder maxQueued(int messages, long bytes) {
    this.maxQueued = messages;
    this.maxQueuedBytes = bytes;
    return this;
  }

  SessionLimitsBuilder maxQueued(int messages) {
    this.maxQueued = messages;
    return this;
  }

  SessionLimitsBuilder maxPending(int messages, long bytes) {
    this.maxPending = messages;
    this.maxPendingBytes = bytes;
    return this;
  }

  SessionLimitsBuilder maxPending(int messages) {
    this.maxPending = messages;
    return this;
  }

  SessionLimitsBuilder terminateOnOverflow(boolean terminate) {
    this.terminateOnOverflow = terminate;
    return this;
  }

  SessionLimitsBuilder maxOutboundBuffered(int packets, long bytes) {
    this.maxOutboundBuffered = packets;
    this.maxOutboundBufferedBytes = bytes;
    return this;
  }

  SessionLimitsBuilder maxInflightBytes(long bytes) {
    this.maxInflightBytes = bytes;
    return this;
  }

  SessionLimitsBuilder holdAcks(int abovePending, long maxMillis) {
    this.holdAcksAbovePending = abovePending;
    this.holdAcksMillis = maxMillis;
    return this;
  }

  SessionLimitsBuilder maxQueuedConnected(int messages, long bytes) {
    this.maxQueuedConnected = messages;
    this.maxQueuedConnectedBytes = bytes;
    return this;
  }

  SessionLimits build() {
    return new SessionLimits(
        maxQueued,
        maxQueuedBytes,
        maxPending,
        maxPendingBytes,
        terminateOnOverflow,
        maxOutboundBuffered,
        maxInflightBytes,
        maxOutboundBufferedBytes,
        holdAcksAbovePending < 0 ? Math.max(1, maxPending / 2) : holdAcksAbovePending,
        holdAcksMillis,
        maxQueuedConnected,
        maxQueuedConnectedBytes);
  }
}
