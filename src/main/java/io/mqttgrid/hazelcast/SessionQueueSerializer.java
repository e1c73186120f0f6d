package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionQueue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a session's queue (IMap {@code mqttgrid.queues}): owner, next sequence, the
 * messages.
 */
final class SessionQueueSerializer implements StreamSerializer<SessionQueue> {

  @Override
  public void write(ObjectDataOutput out, SessionQueue queue) throws IOException {
    out.writeString(queue.owner());
    out.writeLong(queue.nextSeq());
    out.writeInt(queue.entries().size());
    for (QueuedMessage m : queue.entries()) {
      SessionWireFormat.writeQueuedMessage(out, m);
    }
  }

  @Override
  public SessionQueue read(ObjectDataInput in) throws IOException {
    String owner = in.readString();
    long nextSeq = in.readLong();
    int n = in.readInt();
    List<QueuedMessage> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(SessionWireFormat.readQueuedMessage(in));
    }
    return SessionQueue.stored(owner, nextSeq, entries);
  }

  @Override
  public int getTypeId() {
    return BrokerSerialization.SESSION_QUEUE_TYPE;
  }
}
