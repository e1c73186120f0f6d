package io.mqttgrid.session;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.mqttgrid.routing.PublishedMessage;
import java.io.IOException;

/**
 * A QoS 1/2 message held for a persistent session until the client acknowledges it: not yet sent
 * ({@link State#QUEUED}), sent and waiting for PUBACK/PUBREC ({@link State#SENT}), or, for QoS 2, PUBREL
 * sent and waiting for PUBCOMP ({@link State#RELEASED}).
 */
public final class QueuedMessage implements DataSerializable {

  public enum State { QUEUED, SENT, RELEASED }

  private long seq;
  private PublishedMessage message;
  private int[] subscriptionIds;
  private String sharedGroup;
  private State state;
  private int packetId;

  public QueuedMessage() {
  }

  public QueuedMessage(PublishedMessage message, int[] subscriptionIds, String sharedGroup, State state,
                       int packetId) {
    this.message = message;
    this.subscriptionIds = subscriptionIds;
    this.sharedGroup = sharedGroup;
    this.state = state;
    this.packetId = packetId;
  }

  QueuedMessage copy() {
    QueuedMessage c = new QueuedMessage(message, subscriptionIds, sharedGroup, state, packetId);
    c.seq = seq;
    return c;
  }

  public long seq() {
    return seq;
  }

  void seq(long seq) {
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

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(seq);
    out.writeByteArray(message.toBytes());
    out.writeIntArray(subscriptionIds);
    out.writeString(sharedGroup);
    out.writeByte(state.ordinal());
    out.writeInt(packetId);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    seq = in.readLong();
    message = PublishedMessage.fromBytes(in.readByteArray());
    subscriptionIds = in.readIntArray();
    sharedGroup = in.readString();
    state = State.values()[in.readByte()];
    packetId = in.readInt();
  }
}
