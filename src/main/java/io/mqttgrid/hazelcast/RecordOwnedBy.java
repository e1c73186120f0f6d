package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.Map;

/** Selects the session records whose owner is a given node. */
final class RecordOwnedBy implements Predicate<String, SessionRecord>, IdentifiedDataSerializable {
  private String node;

  RecordOwnedBy() {}

  RecordOwnedBy(String node) {
    this.node = node;
  }

  @Override
  public boolean apply(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.ownedBy(entry.getValue(), node);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(node);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    node = in.readString();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.RECORD_OWNED_BY;
  }
}
