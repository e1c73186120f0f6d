package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.Map;

/** Appends one message to a session queue; answers {result ordinal, seq}. */
final class AppendToQueue
    implements EntryProcessor<String, SessionQueue, long[]>, IdentifiedDataSerializable {
  private QueuedMessage message;
  private int maxQueued;
  private long maxBytes;
  private String appender;

  AppendToQueue() {}

  AppendToQueue(QueuedMessage message, int maxQueued, long maxBytes, String appender) {
    this.message = message;
    this.maxQueued = maxQueued;
    this.maxBytes = maxBytes;
    this.appender = appender;
  }

  @Override
  public long[] process(Map.Entry<String, SessionQueue> entry) {
    SessionEntryChanges.Appended r =
        SessionEntryChanges.append(entry, message, maxQueued, maxBytes, appender);
    return new long[] {r.result().ordinal(), r.seq()};
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    SessionWireFormat.writeQueuedMessage(out, message);
    out.writeInt(maxQueued);
    out.writeLong(maxBytes);
    out.writeString(appender);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    message = SessionWireFormat.readQueuedMessage(in);
    maxQueued = in.readInt();
    maxBytes = in.readLong();
    appender = in.readString();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.APPEND_TO_QUEUE;
  }
}
