package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/** Moves a departed node's session to a survivor, unless someone else took it meanwhile. */
final class AdoptRecord
    implements EntryProcessor<String, SessionRecord, SessionRecord>, IdentifiedDataSerializable {
  private String deadNode;
  private String newOwner;
  private long nowMillis;

  AdoptRecord() {}

  AdoptRecord(String deadNode, String newOwner, long nowMillis) {
    this.deadNode = deadNode;
    this.newOwner = newOwner;
    this.nowMillis = nowMillis;
  }

  @Override
  public SessionRecord process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.adopt(entry, deadNode, newOwner, nowMillis);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(deadNode);
    out.writeString(newOwner);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    deadNode = in.readString();
    newOwner = in.readString();
    nowMillis = in.readLong();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.ADOPT_RECORD;
  }
}
