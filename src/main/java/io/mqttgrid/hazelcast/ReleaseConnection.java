package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionEntryChanges;
import java.io.IOException;
import java.util.Map;

/** Removes a connection record if it still names the given connection. */
final class ReleaseConnection
    implements EntryProcessor<String, String, Boolean>, IdentifiedDataSerializable {
  private String connectionId;

  ReleaseConnection() {}

  ReleaseConnection(String connectionId) {
    this.connectionId = connectionId;
  }

  @Override
  public Boolean process(Map.Entry<String, String> entry) {
    return SessionEntryChanges.releaseConnection(entry, connectionId);
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
    return BrokerSerialization.RELEASE_CONNECTION;
  }
}
