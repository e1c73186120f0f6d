package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/** Marks a session record offline, with its final expiry, if the given connection still owns it. */
final class MarkRecordOffline
    implements EntryProcessor<String, SessionRecord, Boolean>, IdentifiedDataSerializable {
  private String connectionId;
  private long expirySeconds;
  private long atMillis;

  MarkRecordOffline() {}

  MarkRecordOffline(String connectionId, long expirySeconds, long atMillis) {
    this.connectionId = connectionId;
    this.expirySeconds = expirySeconds;
    this.atMillis = atMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.markOffline(entry, connectionId, expirySeconds, atMillis);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(connectionId);
    out.writeLong(expirySeconds);
    out.writeLong(atMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    connectionId = in.readString();
    expirySeconds = in.readLong();
    atMillis = in.readLong();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.MARK_RECORD_OFFLINE;
  }
}
