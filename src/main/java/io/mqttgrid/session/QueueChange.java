package io.mqttgrid.session;

/**
 * One change of a persistent session's durable queue, as {@link SessionStore#changeQueue} applies
 * several in one atomic step: a message appended (within the bounds given), or a queued message
 * (named by its sequence number) marked sent, released or removed.
 */
public record QueueChange(
    Kind kind, QueuedMessage message, int maxQueued, long maxQueuedBytes, long seq, int packetId) {

  public enum Kind {
    APPEND,
    SENT,
    RELEASED,
    REMOVE
  }

  /**
   * Appends {@code message} unless it is queued already or the not-yet-sent messages would exceed
   * the bounds (they differ for connected and offline clients).
   */
  public static QueueChange append(QueuedMessage message, int maxQueued, long maxQueuedBytes) {
    return new QueueChange(Kind.APPEND, message, maxQueued, maxQueuedBytes, 0, 0);
  }

  /** The message went out with {@code packetId}. */
  public static QueueChange sent(long seq, int packetId) {
    return new QueueChange(Kind.SENT, null, 0, 0, seq, packetId);
  }

  /** The client answered PUBREC: the message waits for PUBCOMP. */
  public static QueueChange released(long seq) {
    return new QueueChange(Kind.RELEASED, null, 0, 0, seq, 0);
  }

  /** The message needs no further delivery. */
  public static QueueChange remove(long seq) {
    return new QueueChange(Kind.REMOVE, null, 0, 0, seq, 0);
  }
}
