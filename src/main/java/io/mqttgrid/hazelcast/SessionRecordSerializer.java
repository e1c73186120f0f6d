package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;

/** The stored form of a session record (IMap {@code mqttgrid.sessions}). */
final class SessionRecordSerializer implements StreamSerializer<SessionRecord> {

  @Override
  public void write(ObjectDataOutput out, SessionRecord record) throws IOException {
    SessionWireFormat.writeRecord(out, record);
  }

  @Override
  public SessionRecord read(ObjectDataInput in) throws IOException {
    return SessionWireFormat.readRecord(in);
  }

  @Override
  public int getTypeId() {
    return BrokerSerialization.SESSION_RECORD_TYPE;
  }
}
