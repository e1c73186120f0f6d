package io.mqttgrid.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.QueueChange;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies a batch of changes to a session queue (appends, messages sent, released, removed), in
 * order; answers {result ordinal, seq} for each append, in order.
 */
final class ChangeQueue
    implements EntryProcessor<String, SessionQueue, long[]>, IdentifiedDataSerializable {
  private List<QueueChange> changes;
  private String appender;

  ChangeQueue() {}

  ChangeQueue(List<QueueChange> changes, String appender) {
    this.changes = changes;
    this.appender = appender;
  }

  @Override
  public long[] process(Map.Entry<String, SessionQueue> entry) {
    List<SessionEntryChanges.Appended> appended =
        SessionEntryChanges.changeQueue(entry, changes, appender);
    long[] out = new long[appended.size() * 2];
    for (int i = 0; i < appended.size(); i++) {
      out[2 * i] = appended.get(i).result().ordinal();
      out[2 * i + 1] = appended.get(i).seq();
    }
    return out;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(appender);
    out.writeInt(changes.size());
    for (QueueChange c : changes) {
      out.writeByte(c.kind().ordinal());
      if (c.kind() == QueueChange.Kind.APPEND) {
        SessionWireFormat.writeQueuedMessage(out, c.message());
        out.writeInt(c.maxQueued());
        out.writeLong(c.maxQueuedBytes());
      } else {
        out.writeLong(c.seq());
        out.writeInt(c.packetId());
      }
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    appender = in.readString();
    int n = in.readInt();
    changes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      QueueChange.Kind kind = QueueChange.Kind.values()[in.readByte()];
      if (kind == QueueChange.Kind.APPEND) {
        changes.add(
            QueueChange.append(
                SessionWireFormat.readQueuedMessage(in), in.readInt(), in.readLong()));
      } else {
        changes.add(new QueueChange(kind, null, 0, 0, in.readLong(), in.readInt()));
      }
    }
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.CHANGE_QUEUE;
  }
}
