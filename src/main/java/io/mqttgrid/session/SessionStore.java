package io.mqttgrid.session;

import io.mqttgrid.routing.Subscription;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The durable state of persistent sessions and the cluster-wide record of who is connected where.
 * Every call is asynchronous: it is made from event loops, and completes on the caller's context.
 * The broker's implementation is Hazelcast ({@code io.mqttgrid.hazelcast.HazelcastSessionStore});
 * the unit tests of the session logic use an in-memory one with the same semantics, both held to
 * one contract test. The conditional changes are defined once, in {@link SessionEntryChanges}.
 */
public interface SessionStore {

  /** The session record, or null when there is none (or it has expired). */
  Future<SessionRecord> load(String clientId);

  Future<Void> save(SessionRecord record);

  /**
   * {@link #save}, in one step with reading the record it replaces (null when there was none): a
   * connect that takes a session over learns where an adopting survivor may have moved it after the
   * connect read the record, and retires the copy there.
   */
  Future<SessionRecord> saveOver(SessionRecord record);

  /** Removes the record and the queue. */
  Future<Void> delete(String clientId);

  /**
   * Removes record and queue only if the record still names {@code connectionId} (a later owner
   * wins).
   */
  Future<Boolean> deleteIfOwnedBy(String clientId, String connectionId);

  /**
   * Marks the record offline only if it still names {@code connectionId}; sets the expiry given.
   */
  Future<Boolean> markOffline(
      String clientId, String connectionId, long expirySeconds, long atMillis);

  /**
   * Replaces the record's subscriptions if {@code connectionId} still owns it, in one atomic step.
   */
  Future<Void> saveSubscriptions(String clientId, String connectionId, List<Subscription> subs);

  Future<Void> addAwaitingRelease(String clientId, int packetId);

  Future<Void> removeAwaitingRelease(String clientId, int packetId);

  /**
   * Applies {@code changes} to the session's queue in one atomic step, in their order (appends by
   * {@code connectionId}: refused as {@link SessionQueue.AppendResult#FOREIGN} once another
   * connection claimed the queue). Answers the outcome of each append, in order, and sets the
   * sequence number each appended message got ({@link QueuedMessage#seq}), by which later changes
   * name it. One operation for several changes: a persistent session batches what it changes while
   * its previous batch is being stored.
   */
  Future<List<SessionQueue.AppendResult>> changeQueue(
      String clientId, String connectionId, List<QueueChange> changes);

  /** {@link #changeQueue} with one append. */
  default Future<SessionQueue.AppendResult> append(
      String clientId,
      QueuedMessage message,
      int maxQueued,
      long maxQueuedBytes,
      String connectionId) {
    return changeQueue(
            clientId, connectionId, List.of(QueueChange.append(message, maxQueued, maxQueuedBytes)))
        .map(results -> results.get(0));
  }

  /** {@link #changeQueue} marking one message sent. */
  default Future<Void> markSent(String clientId, long seq, int packetId) {
    return changeQueue(clientId, null, List.of(QueueChange.sent(seq, packetId))).mapEmpty();
  }

  /** {@link #changeQueue} marking one message released. */
  default Future<Void> markReleased(String clientId, long seq) {
    return changeQueue(clientId, null, List.of(QueueChange.released(seq))).mapEmpty();
  }

  /** {@link #changeQueue} removing one message. */
  default Future<Void> remove(String clientId, long seq) {
    return changeQueue(clientId, null, List.of(QueueChange.remove(seq))).mapEmpty();
  }

  Future<List<QueuedMessage>> queued(String clientId);

  /**
   * The session's messages not sent yet from sequence number {@code fromSeq} on, oldest first,
   * within the bounds given ({@link SessionQueue#queuedFrom}); an empty slice when there is no
   * queue. Changes nothing.
   */
  Future<SessionQueue.Slice> readQueue(
      String clientId, long fromSeq, int maxMessages, long maxBytes);

  /**
   * Makes {@code connectionId} the owner of the session's queue (created if absent; emptied first
   * when {@code emptyIt}, for a session that starts anew) and answers what it holds. Appends by any
   * other connection are refused from then on ({@link SessionQueue.AppendResult#FOREIGN}).
   */
  Future<List<QueuedMessage>> claimQueue(String clientId, String connectionId, boolean emptyIt);

  /** Records of the sessions {@code node} hosted (connected there, or offline with it as owner). */
  Future<List<SessionRecord>> ownedBy(String node);

  /**
   * Makes {@code newOwner} the owner of a session {@code deadNode} hosted, marking it offline at
   * {@code nowMillis} if it was connected. Answers the record as it was before, or null when the
   * session has meanwhile moved elsewhere.
   */
  Future<SessionRecord> adopt(String clientId, String deadNode, String newOwner, long nowMillis);

  /**
   * {@link #adopt} for many sessions in one operation (a node left with thousands): answers the
   * records as they were before, by client id, of the sessions it moved.
   */
  Future<Map<String, SessionRecord>> adoptAll(
      Set<String> clientIds, String deadNode, String newOwner, long nowMillis);

  /** Every session record (a start of the whole cluster brings them back). */
  Future<List<SessionRecord>> all();

  /**
   * The records whose client id contains {@code text}, ignoring case (the console's session
   * search). This default reads every record; a store that can filter where the records are does
   * so.
   */
  default Future<List<SessionRecord>> search(String text) {
    String needle = text.toLowerCase(java.util.Locale.ROOT);
    return all()
        .map(
            records ->
                records.stream()
                    .filter(r -> r.clientId().toLowerCase(java.util.Locale.ROOT).contains(needle))
                    .toList());
  }

  /**
   * Makes {@code newOwner} the owner of a session the state database brought back, whichever node
   * the record names, if the record is still of connection {@code connectionId}; marks it offline
   * at {@code nowMillis} if it was connected. Answers the record as it was before, or null when its
   * client connected again meanwhile.
   */
  Future<SessionRecord> restore(
      String clientId, String connectionId, String newOwner, long nowMillis);

  /** Forgets the connection records of {@code node}. */
  Future<Void> purgeConnections(String node);

  /**
   * Records that {@code clientId} is now served by {@code node}/{@code connectionId}; returns the
   * previous.
   */
  Future<String> claimConnection(String clientId, String node, String connectionId);

  /** Forgets the connection record if it still names {@code connectionId}. */
  Future<Void> releaseConnection(String clientId, String connectionId);
}
