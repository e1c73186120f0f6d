package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import java.io.IOException;
import java.util.Map;

/**
 * Selects the entries whose key starts with a prefix (or, with {@code except}, does not); runs on
 * the members.
 */
final class KeyHasPrefix implements Predicate<String, String>, IdentifiedDataSerializable {
  private String prefix;
  private boolean except;

  KeyHasPrefix() {}

  KeyHasPrefix(String prefix, boolean except) {
    this.prefix = prefix;
    this.except = except;
  }

  @Override
  public boolean apply(Map.Entry<String, String> entry) {
    return entry.getKey().startsWith(prefix) != except;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(prefix);
    out.writeBoolean(except);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    prefix = in.readString();
    except = in.readBoolean();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.KEY_HAS_PREFIX;
  }
}
