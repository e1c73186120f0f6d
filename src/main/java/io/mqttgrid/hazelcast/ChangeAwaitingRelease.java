package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/** Adds or removes an inbound QoS 2 packet id that waits for PUBREL. */
final class ChangeAwaitingRelease
    implements EntryProcessor<String, SessionRecord, Boolean>, IdentifiedDataSerializable {
  private int packetId;
  private boolean add;

  ChangeAwaitingRelease() {}

  ChangeAwaitingRelease(int packetId, boolean add) {
    this.packetId = packetId;
    this.add = add;
  }

  @Override
  public Boolean process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.awaitingRelease(entry, packetId, add);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(packetId);
    out.writeBoolean(add);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    packetId = in.readInt();
    add = in.readBoolean();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.CHANGE_AWAITING_RELEASE;
  }
}
