package io.mqttgrid.session;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The durable queue of one persistent session, as stored in Hazelcast (in OBJECT format, changed in place by
 * entry processors so that an append costs the one message, not the whole queue).
 */
public final class SessionQueue implements DataSerializable {

  /**
   * Outcome of an append. FOREIGN: the queue belongs to a newer connection of the session, so the appender
   * is a session that moved away and did not know yet.
   */
  public enum AppendResult { APPENDED, DUPLICATE, OVERFLOW, FOREIGN }

  /** The connection whose session owns this queue now; null until one claims it. */
  private String owner;

  private long nextSeq = 1;
  private final LinkedHashMap<Long, QueuedMessage> entries = new LinkedHashMap<>();
  private final Set<String> messageIds = new HashSet<>();
  private int queuedCount;
  private long queuedBytes;

  public SessionQueue() {
  }

  /** Appends unless the message is there already or the not-yet-sent part would exceed the bounds. */
  AppendResult append(QueuedMessage m, int maxQueued, long maxQueuedBytes, String appender) {
    if (owner == null) {
      owner = appender;
    } else if (!owner.equals(appender)) {
      return AppendResult.FOREIGN;
    }
    if (messageIds.contains(m.message().id())) {
      return AppendResult.DUPLICATE;
    }
    if (m.state() == QueuedMessage.State.QUEUED) {
      int w = m.message().weight();
      if (queuedCount + 1 > maxQueued || queuedBytes + w > maxQueuedBytes) {
        return AppendResult.OVERFLOW;
      }
      queuedCount++;
      queuedBytes += w;
    }
    m.seq(nextSeq++);
    entries.put(m.seq(), m);
    messageIds.add(m.message().id());
    return AppendResult.APPENDED;
  }

  void markSent(long seq, int packetId) {
    QueuedMessage m = entries.get(seq);
    if (m != null && m.state() == QueuedMessage.State.QUEUED) {
      queuedCount--;
      queuedBytes -= m.message().weight();
      m.state(QueuedMessage.State.SENT);
      m.packetId(packetId);
    }
  }

  void markReleased(long seq) {
    QueuedMessage m = entries.get(seq);
    if (m != null) {
      if (m.state() == QueuedMessage.State.QUEUED) {
        queuedCount--;
        queuedBytes -= m.message().weight();
      }
      m.state(QueuedMessage.State.RELEASED);
    }
  }

  void remove(long seq) {
    QueuedMessage m = entries.remove(seq);
    if (m != null) {
      messageIds.remove(m.message().id());
      if (m.state() == QueuedMessage.State.QUEUED) {
        queuedCount--;
        queuedBytes -= m.message().weight();
      }
    }
  }

  /** Messages sent but not acknowledged go back to QUEUED-with-packet-id semantics on the next attach. */
  List<QueuedMessage> snapshot() {
    List<QueuedMessage> out = new ArrayList<>(entries.size());
    for (QueuedMessage m : entries.values()) {
      out.add(m.copy());
    }
    return out;
  }

  /** A connection takes the queue over: appends of older incarnations of the session are refused from now on. */
  void claim(String connectionId) {
    owner = connectionId;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(owner);
    out.writeLong(nextSeq);
    out.writeInt(entries.size());
    for (QueuedMessage m : entries.values()) {
      m.writeData(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    owner = in.readString();
    nextSeq = in.readLong();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      QueuedMessage m = new QueuedMessage();
      m.readData(in);
      entries.put(m.seq(), m);
      messageIds.add(m.message().id());
      if (m.state() == QueuedMessage.State.QUEUED) {
        queuedCount++;
        queuedBytes += m.message().weight();
      }
    }
  }
}
