package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;

/**
 * A QoS 1/2 message held for a persistent session until the client acknowledges it: not yet sent
 * ({@link State#QUEUED}), sent and waiting for PUBACK/PUBREC ({@link State#SENT}), or, for QoS 2,
 * PUBREL sent and waiting for PUBCOMP ({@link State#RELEASED}).
 */
public final class QueuedMessage {

  public enum State {
    QUEUED,
    SENT,
    RELEASED
  }

  private long seq;
  private PublishedMessage message;
  private int[] subscriptionIds;
  private String sharedGroup;
  private State state;
  private int packetId;

  public QueuedMessage(
      PublishedMessage message,
      int[] subscriptionIds,
      String sharedGroup,
      State state,
      int packetId) {
    this.message = message;
    this.subscriptionIds = subscriptionIds;
    this.sharedGroup = sharedGroup;
    this.state = state;
    this.packetId = packetId;
  }

  /** A message as a store kept it, with the sequence number its queue gave it. */
  public static QueuedMessage stored(
      long seq,
      PublishedMessage message,
      int[] subscriptionIds,
      String sharedGroup,
      State state,
      int packetId) {
    QueuedMessage m = new QueuedMessage(message, subscriptionIds, sharedGroup, state, packetId);
    m.seq = seq;
    return m;
  }

  public QueuedMessage copy() {
    QueuedMessage c = new QueuedMessage(message, subscriptionIds, sharedGroup, state, packetId);
    c.seq = seq;
    return c;
  }

  public long seq() {
    return seq;
  }

  /**
   * Set by the store that appended the message: the number {@link SessionStore#markSent} and others
   * name it by.
   */
  public void seq(long seq) {
    this.seq = seq;
  }

  public PublishedMessage message() {
    return message;
  }

  public int[] subscriptionIds() {
    return subscriptionIds;
  }

  /** The {@code $share} group the message came through, or null. */
  public String sharedGroup() {
    return sharedGroup;
  }

  public State state() {
    return state;
  }

  void state(State state) {
    this.state = state;
  }

  public int packetId() {
    return packetId;
  }

  void packetId(int packetId) {
    this.packetId = packetId;
  }
}
