package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/**
 * Makes a session the state database brought back an offline session of the node restoring it,
 * unless its client connected again meanwhile.
 */
final class RestoreRecord
    implements EntryProcessor<String, SessionRecord, SessionRecord>, IdentifiedDataSerializable {
  private String connectionId;
  private String newOwner;
  private long nowMillis;

  RestoreRecord() {}

  RestoreRecord(String connectionId, String newOwner, long nowMillis) {
    this.connectionId = connectionId;
    this.newOwner = newOwner;
    this.nowMillis = nowMillis;
  }

  @Override
  public SessionRecord process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.restore(entry, connectionId, newOwner, nowMillis);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(connectionId);
    out.writeString(newOwner);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    connectionId = in.readString();
    newOwner = in.readString();
    nowMillis = in.readLong();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.RESTORE_RECORD;
  }
}
