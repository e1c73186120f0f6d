package io.mqttgrid.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The durable queue of one persistent session, as a store keeps it (Hazelcast in OBJECT format,
 * changed in place by entry processors so that an append costs the one message, not the whole
 * queue). Not thread-safe: a store changes it under its per-key atomicity.
 */
public final class SessionQueue {

  /**
   * Outcome of an append. FOREIGN: the queue belongs to a newer connection of the session, so the
   * appender is a session that moved away and did not know yet.
   */
  public enum AppendResult {
    APPENDED,
    DUPLICATE,
    OVERFLOW,
    FOREIGN,
    /**
     * Not written: the message was done with (acknowledged by its client) before its append left
     * the session ({@link QueueWriter#withdraw}). Last, as the store answers by ordinal.
     */
    DONE_BEFORE_WRITTEN
  }

  /** The connection whose session owns this queue now; null until one claims it. */
  private String owner;

  private long nextSeq = 1;
  private final LinkedHashMap<Long, QueuedMessage> entries = new LinkedHashMap<>();
  private final Set<String> messageIds = new HashSet<>();
  private int queuedCount;
  private long queuedBytes;

  public SessionQueue() {}

  /** A queue as a store kept it: the counts and message ids are rebuilt from the entries. */
  public static SessionQueue stored(String owner, long nextSeq, Collection<QueuedMessage> entries) {
    SessionQueue q = new SessionQueue();
    q.owner = owner;
    q.nextSeq = nextSeq;
    for (QueuedMessage m : entries) {
      q.entries.put(m.seq(), m);
      q.messageIds.add(m.message().id());
      if (m.state() == QueuedMessage.State.QUEUED) {
        q.queuedCount++;
        q.queuedBytes += m.message().weight();
      }
    }
    return q;
  }

  /** The connection that owns the queue, or null until one claims it. */
  public String owner() {
    return owner;
  }

  /** The sequence number the next appended message gets. */
  public long nextSeq() {
    return nextSeq;
  }

  /** The messages in sequence order, as held (not copies: for a store's serializer). */
  public Collection<QueuedMessage> entries() {
    return Collections.unmodifiableCollection(entries.values());
  }

  /**
   * Appends unless the message is there already or the not-yet-sent part would exceed the bounds.
   */
  public AppendResult append(QueuedMessage m, int maxQueued, long maxQueuedBytes, String appender) {
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

  public void markSent(long seq, int packetId) {
    QueuedMessage m = entries.get(seq);
    if (m != null && m.state() == QueuedMessage.State.QUEUED) {
      queuedCount--;
      queuedBytes -= m.message().weight();
      m.state(QueuedMessage.State.SENT);
      m.packetId(packetId);
    }
  }

  public void markReleased(long seq) {
    QueuedMessage m = entries.get(seq);
    if (m != null) {
      if (m.state() == QueuedMessage.State.QUEUED) {
        queuedCount--;
        queuedBytes -= m.message().weight();
      }
      m.state(QueuedMessage.State.RELEASED);
    }
  }

  public void remove(long seq) {
    QueuedMessage m = entries.remove(seq);
    if (m != null) {
      messageIds.remove(m.message().id());
      if (m.state() == QueuedMessage.State.QUEUED) {
        queuedCount--;
        queuedBytes -= m.message().weight();
      }
    }
  }

  /**
   * Messages sent but not acknowledged go back to QUEUED-with-packet-id semantics on the next
   * attach.
   */
  public List<QueuedMessage> snapshot() {
    List<QueuedMessage> out = new ArrayList<>(entries.size());
    for (QueuedMessage m : entries.values()) {
      out.add(m.copy());
    }
    return out;
  }

  /**
   * Copies of the messages not sent yet ({@link QueuedMessage.State#QUEUED}) from sequence number
   * {@code fromSeq} on, oldest first: at most {@code maxMessages}, and {@code maxBytes} of their
   * weights unless the first alone weighs more.
   */
  public Slice queuedFrom(long fromSeq, int maxMessages, long maxBytes) {
    List<QueuedMessage> out = new ArrayList<>();
    long bytes = 0;
    for (QueuedMessage m : entries.values()) {
      if (m.seq() < fromSeq || m.state() != QueuedMessage.State.QUEUED) {
        continue;
      }
      int w = m.message().weight();
      if (out.size() == maxMessages || (!out.isEmpty() && bytes + w > maxBytes)) {
        return new Slice(out, true);
      }
      out.add(m.copy());
      bytes += w;
    }
    return new Slice(out, false);
  }

  /**
   * Part of a queue's messages not sent yet ({@link #queuedFrom}); {@code more}: the queue holds
   * more after them.
   */
  public record Slice(List<QueuedMessage> messages, boolean more) {}

  /**
   * A connection takes the queue over: appends of older incarnations of the session are refused
   * from now on.
   */
  public void claim(String connectionId) {
    owner = connectionId;
  }
}
