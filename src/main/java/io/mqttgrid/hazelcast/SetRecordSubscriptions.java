package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Replaces the subscriptions of a session record the given connection still owns. */
final class SetRecordSubscriptions
    implements EntryProcessor<String, SessionRecord, Boolean>, IdentifiedDataSerializable {
  private String connectionId;
  private List<Subscription> subscriptions;

  SetRecordSubscriptions() {}

  SetRecordSubscriptions(String connectionId, List<Subscription> subscriptions) {
    this.connectionId = connectionId;
    this.subscriptions = subscriptions;
  }

  @Override
  public Boolean process(Map.Entry<String, SessionRecord> entry) {
    return SessionEntryChanges.setSubscriptions(entry, connectionId, subscriptions);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(connectionId);
    SessionWireFormat.writeSubscriptions(out, subscriptions);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    connectionId = in.readString();
    subscriptions = SessionWireFormat.readSubscriptions(in);
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.SET_RECORD_SUBSCRIPTIONS;
  }
}
