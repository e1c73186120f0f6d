package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/** Deletes a session record if the given connection still owns it. */
final class DeleteRecordIfOwned
    implements EntryProcessor<String, SessionRecord, Boolean>, IdentifiedDataSerializable {
  private String connectionId;

  DeleteRecordIfOwned() {}

  DeleteRecordIfOwned(String connectionId) {
    this.connectionId = connectionId;
  }

  @Override
  public Boolean process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.deleteIfOwnedBy(entry, connectionId);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(connectionId);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    connectionId = in.readString();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.DELETE_RECORD_IF_OWNED;
  }
}
