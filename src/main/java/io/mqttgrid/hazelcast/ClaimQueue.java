package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Gives a session queue to a connection and answers its content. */
final class ClaimQueue
    implements EntryProcessor<String, SessionQueue, List<QueuedMessage>>,
        IdentifiedDataSerializable {
  private String connectionId;
  private boolean emptyIt;

  ClaimQueue() {}

  ClaimQueue(String connectionId, boolean emptyIt) {
    this.connectionId = connectionId;
    this.emptyIt = emptyIt;
  }

  @Override
  public List<QueuedMessage> process(Map.Entry<String, SessionQueue> entry) {
    return SessionEntryChanges.claimQueue(entry, connectionId, emptyIt);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(connectionId);
    out.writeBoolean(emptyIt);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    connectionId = in.readString();
    emptyIt = in.readBoolean();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.CLAIM_QUEUE;
  }
}
