package io.mqttgrid.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads part of a session queue's messages not sent yet ({@link SessionQueue#queuedFrom}) where the
 * queue is, so that only that part crosses the network; read-only, so neither the backups nor the
 * map store see it.
 */
final class ReadQueue
    implements EntryProcessor<String, SessionQueue, ReadQueue.Slice>,
        IdentifiedDataSerializable,
        ReadOnly {
  private long fromSeq;
  private int maxMessages;
  private long maxBytes;

  ReadQueue() {}

  ReadQueue(long fromSeq, int maxMessages, long maxBytes) {
    this.fromSeq = fromSeq;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  @Override
  public Slice process(Map.Entry<String, SessionQueue> entry) {
    SessionQueue q = entry.getValue();
    return new Slice(
        q == null
            ? new SessionQueue.Slice(List.of(), false)
            : q.queuedFrom(fromSeq, maxMessages, maxBytes));
  }

  @Override
  public EntryProcessor<String, SessionQueue, Slice> getBackupProcessor() {
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(fromSeq);
    out.writeInt(maxMessages);
    out.writeLong(maxBytes);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    fromSeq = in.readLong();
    maxMessages = in.readInt();
    maxBytes = in.readLong();
  }

  @Override
  public int getFactoryId() {
    return BrokerSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return BrokerSerialization.READ_QUEUE;
  }

  /** The answer, as it travels from the member that owns the queue. */
  static final class Slice implements IdentifiedDataSerializable {
    private SessionQueue.Slice slice;

    Slice() {}

    Slice(SessionQueue.Slice slice) {
      this.slice = slice;
    }

    SessionQueue.Slice slice() {
      return slice;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeBoolean(slice.more());
      out.writeInt(slice.messages().size());
      for (QueuedMessage m : slice.messages()) {
        SessionWireFormat.writeQueuedMessage(out, m);
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      boolean more = in.readBoolean();
      int n = in.readInt();
      List<QueuedMessage> messages = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        messages.add(SessionWireFormat.readQueuedMessage(in));
      }
      slice = new SessionQueue.Slice(messages, more);
    }

    @Override
    public int getFactoryId() {
      return BrokerSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return BrokerSerialization.QUEUE_SLICE;
    }
  }
}
