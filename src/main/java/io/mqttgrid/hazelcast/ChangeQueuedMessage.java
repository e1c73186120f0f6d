package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.Map;

/** Marks one queued message sent or released, or removes it. */
final class ChangeQueuedMessage
    implements EntryProcessor<String, SessionQueue, Boolean>, IdentifiedDataSerializable {
  private SessionEntryChanges.QueuedChange change;
  private long seq;
  private int packetId;

  ChangeQueuedMessage() {}

  ChangeQueuedMessage(SessionEntryChanges.QueuedChange change, long seq, int packetId) {
    this.change = change;
    this.seq = seq;
    this.packetId = packetId;
  }

  @Override
  public Boolean process(Map.Entry<String, SessionQueue> entry) {
    return SessionEntryChanges.changeQueued(entry, change, seq, packetId);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(change.ordinal());
    out.writeLong(seq);
    out.writeInt(packetId);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    change = SessionEntryChanges.QueuedChange.values()[in.readInt()];
    seq = in.readLong();
    packetId = in.readInt();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.CHANGE_QUEUED_MESSAGE;
  }
}
