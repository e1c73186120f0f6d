package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.mqttgrid.session.SessionEntryChanges;
import java.io.IOException;
import java.util.Map;

/** Selects the connection records naming a given node. */
final class ConnectionToNode implements Predicate<String, String>, IdentifiedDataSerializable {
  private String node;

  ConnectionToNode() {}

  ConnectionToNode(String node) {
    this.node = node;
  }

  @Override
  public boolean apply(Map.Entry<String, String> entry) {
    return SessionEntryChanges.connectedTo(entry.getValue(), node);
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
    return BrokerSerialization.CONNECTION_TO_NODE;
  }
}
