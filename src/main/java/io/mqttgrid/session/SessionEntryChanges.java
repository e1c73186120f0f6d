package io.mqttgrid.session;

import io.mqttgrid.routing.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The conditional changes of a {@link SessionStore}, each a function of the one entry it changes (a
 * record, a queue or a connection under a client id). A store applies each atomically for its key:
 * Hazelcast in an entry processor on the partition owner (and again on each backup, so each is
 * deterministic), the in-memory store of the unit tests under its lock. One definition keeps the
 * stores' semantics the same.
 *
 * <p>{@code entry.setValue(null)} removes the entry. A value is changed in place and set again, as
 * Hazelcast's OBJECT in-memory format wants.
 */
public final class SessionEntryChanges {

  private SessionEntryChanges() {}

  // ---------------------------------------------------------------------------------- session
  // records

  /** Deletes the record if {@code connectionId} still owns it; says whether it did. */
  public static boolean deleteIfOwnedBy(
      Map.Entry<String, SessionRecord> entry, String connectionId) {
    SessionRecord r = entry.getValue();
    if (r != null && connectionId.equals(r.connectionId())) {
      entry.setValue(null);
      return true;
    }
    return false;
  }

  /** Marks the record offline, with its final expiry, if {@code connectionId} still owns it. */
  public static boolean markOffline(
      Map.Entry<String, SessionRecord> entry,
      String connectionId,
      long expirySeconds,
      long atMillis) {
    SessionRecord r = entry.getValue();
    if (r != null && connectionId.equals(r.connectionId())) {
      entry.setValue(r.expirySeconds(expirySeconds).offline(atMillis));
      return true;
    }
    return false;
  }

  /**
   * Replaces the subscriptions of a record {@code connectionId} still owns. The same subscriptions
   * again (a device that subscribes at every connect of its persistent session) leave the entry as
   * it is: no write to the state database.
   */
  public static boolean setSubscriptions(
      Map.Entry<String, SessionRecord> entry,
      String connectionId,
      List<Subscription> subscriptions) {
    SessionRecord r = entry.getValue();
    if (r == null || !connectionId.equals(r.connectionId())) {
      return false;
    }
    if (r.subscriptions().equals(subscriptions)) {
      return true;
    }
    entry.setValue(r.subscriptions(subscriptions));
    return true;
  }

  /**
   * Adds or removes an inbound QoS 2 packet id that waits for PUBREL; says whether the set changed.
   */
  public static boolean awaitingRelease(
      Map.Entry<String, SessionRecord> entry, int packetId, boolean add) {
    SessionRecord r = entry.getValue();
    if (r == null) {
      return false;
    }
    boolean changed =
        add ? r.awaitingRelease().add(packetId) : r.awaitingRelease().remove(packetId);
    if (changed) {
      entry.setValue(r);
    }
    return changed;
  }

  /**
   * Moves a session {@code deadNode} hosted to {@code newOwner}, offline from {@code nowMillis} if
   * it was connected; answers the record as it was, or null when someone else took the session
   * meanwhile.
   */
  public static SessionRecord adopt(
      Map.Entry<String, SessionRecord> entry, String deadNode, String newOwner, long nowMillis) {
    SessionRecord r = entry.getValue();
    if (r == null || !deadNode.equals(r.ownerNode())) {
      return null;
    }
    SessionRecord before = r.copy();
    r.owner(newOwner);
    if (r.connected()) {
      r.offline(nowMillis);
    }
    entry.setValue(r);
    return before;
  }

  /**
   * Brings back a session the state database kept, as an offline session of {@code newOwner} (a
   * start of the whole cluster): as {@link #adopt}, but whoever the record names as owner, as long
   * as it is still the incarnation {@code connectionId} read at start (a client that connected
   * again meanwhile keeps its session where it is). Answers the record as it was, or null.
   */
  public static SessionRecord restore(
      Map.Entry<String, SessionRecord> entry,
      String connectionId,
      String newOwner,
      long nowMillis) {
    SessionRecord r = entry.getValue();
    if (r == null || !java.util.Objects.equals(connectionId, r.connectionId())) {
      return null;
    }
    return adopt(entry, r.ownerNode(), newOwner, nowMillis);
  }

  /** Whether a record belongs to the sessions {@code node} hosted. */
  public static boolean ownedBy(SessionRecord record, String node) {
    return record != null && node.equals(record.ownerNode());
  }

  // ---------------------------------------------------------------------------------------------
  // queues

  /**
   * Applies {@code changes} in order; answers, for each append among them, its outcome and the
   * sequence number its copy got (0 when not appended). An append stores a copy of its message (the
   * caller's object is the caller's). A change of a message that is not there changes nothing; with
   * no queue and no append, none is made.
   */
  public static List<Appended> changeQueue(
      Map.Entry<String, SessionQueue> entry, List<QueueChange> changes, String appender) {
    SessionQueue q = entry.getValue();
    List<Appended> appended = new ArrayList<>();
    for (QueueChange c : changes) {
      if (c.kind() == QueueChange.Kind.APPEND) {
        if (q == null) {
          q = new SessionQueue();
        }
        QueuedMessage copy = c.message().copy();
        SessionQueue.AppendResult r = q.append(copy, c.maxQueued(), c.maxQueuedBytes(), appender);
        appended.add(new Appended(r, copy.seq()));
      } else if (q != null) {
        switch (c.kind()) {
          case SENT -> q.markSent(c.seq(), c.packetId());
          case RELEASED -> q.markReleased(c.seq());
          case REMOVE -> q.remove(c.seq());
          default -> throw new IllegalArgumentException(c.kind().name());
        }
      }
    }
    if (q != null) {
      entry.setValue(q);
    }
    return appended;
  }

  /** What an append of {@link #changeQueue} did. */
  public record Appended(SessionQueue.AppendResult result, long seq) {}

  /**
   * Gives the queue to {@code connectionId} (a new one when absent or {@code emptyIt}); answers
   * what it holds.
   */
  public static List<QueuedMessage> claimQueue(
      Map.Entry<String, SessionQueue> entry, String connectionId, boolean emptyIt) {
    SessionQueue q = entry.getValue();
    if (q == null || emptyIt) {
      q = new SessionQueue();
    }
    q.claim(connectionId);
    entry.setValue(q);
    return q.snapshot();
  }

  // --------------------------------------------------------------------------------------
  // connections

  /** A connection record's value: the node serving the client and the connection id. */
  public static String connectionValue(String node, String connectionId) {
    return node + "|" + connectionId;
  }

  /** Whether a connection record's value names {@code node}. */
  public static boolean connectedTo(String connectionValue, String node) {
    return connectionValue != null && connectionValue.startsWith(node + "|");
  }

  /** Removes the connection record if it still names {@code connectionId}. */
  public static boolean releaseConnection(Map.Entry<String, String> entry, String connectionId) {
    String v = entry.getValue();
    if (v != null && v.endsWith("|" + connectionId)) {
      entry.setValue(null);
      return true;
    }
    return false;
  }
}
