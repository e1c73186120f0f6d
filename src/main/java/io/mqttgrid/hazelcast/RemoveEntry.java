package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.util.Map;

/**
 * Removes the entry it runs on. IMap has no asynchronous removal of several keys: run through
 * {@code submitToKeys}, this is one invocation for a few withdrawn routes where {@code deleteAsync}
 * is one per route (how few: {@code RouteBatchWriter.REMOVAL_CHUNK}).
 */
final class RemoveEntry
    implements EntryProcessor<String, String, Void>, IdentifiedDataSerializable {

  @Override
  public Void process(Map.Entry<String, String> entry) {
    entry.setValue(null);
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.REMOVE_ENTRY;
  }
}
