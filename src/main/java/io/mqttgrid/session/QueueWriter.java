package io.mqttgrid.session;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes one persistent session makes to its durable queue, sent to the {@link SessionStore}
 * in batches: at most one store operation per session is under way, and what the session changes
 * meanwhile (messages appended, sent, released, acknowledged) goes, in its order, in the next one.
 * The first change after a quiet moment waits for the end of the event-loop turn, so that what
 * reached the session in one turn is one operation too.
 *
 * <p>Why: each store operation is a Hazelcast entry processor on the queue's partition and, with
 * write-through, a database transaction; one per message (append, then remove at PUBACK) made them,
 * not the event loops, the limit of a persistent subscriber's throughput (docs/performance.md). An
 * append still completes, and with it the publisher's acknowledgement, only when the batch that
 * carries it is stored.
 *
 * <p>Touched only on the session's context.
 */
final class QueueWriter {

  private final SessionStore store;
  private final String clientId;
  private final String connectionId;
  private final Context context;

  /**
   * The changes that wait for the next write, with what answers them; null while none waits, so an
   * idle session holds no lists for them.
   */
  private Batch waiting;

  /** Changes stored together in one write. */
  private static final class Batch {
    final List<QueueChange> changes = new ArrayList<>();

    /** The appends' promises among {@link #changes}, in order. */
    final List<Promise<SessionQueue.AppendResult>> appends = new ArrayList<>();

    /** Where in {@link #changes} a message's change of state is, by sequence number. */
    final Map<Long, Integer> stateChanges = new HashMap<>();

    /** Completes when the batch is stored. */
    final Promise<Void> stored = Promise.promise();
  }

  private boolean writing;
  private boolean flushScheduled;

  QueueWriter(SessionStore store, String clientId, String connectionId, Context context) {
    this.store = store;
    this.clientId = clientId;
    this.connectionId = connectionId;
    this.context = context;
  }

  /**
   * Appends {@code message} within the bounds given; the answer completes when it is stored, and
   * the message has its sequence number then.
   */
  Future<SessionQueue.AppendResult> append(
      QueuedMessage message, int maxQueued, long maxQueuedBytes) {
    Promise<SessionQueue.AppendResult> appended = Promise.promise();
    waiting().appends.add(appended);
    add(QueueChange.append(message, maxQueued, maxQueuedBytes));
    return appended.future();
  }

  Future<Void> markSent(long seq, int packetId) {
    return addStateChange(QueueChange.sent(seq, packetId));
  }

  Future<Void> markReleased(long seq) {
    return addStateChange(QueueChange.released(seq));
  }

  /**
   * Removes a message; a change of its state that waits in the same batch becomes the removal, in
   * its place (the queue ends the same, with one statement fewer for the database; in its place, a
   * sent message no longer counts against the bounds either way).
   */
  Future<Void> remove(long seq) {
    Integer at = waiting == null ? null : waiting.stateChanges.remove(seq);
    if (at != null) {
      waiting.changes.set(at, QueueChange.remove(seq));
      return waiting.stored.future();
    }
    return add(QueueChange.remove(seq));
  }

  private Future<Void> addStateChange(QueueChange change) {
    Batch batch = waiting();
    batch.stateChanges.put(change.seq(), batch.changes.size());
    return add(change);
  }

  private Future<Void> add(QueueChange change) {
    Batch batch = waiting();
    batch.changes.add(change);
    if (!writing && !flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
    return batch.stored.future();
  }

  private Batch waiting() {
    if (waiting == null) {
      waiting = new Batch();
    }
    return waiting;
  }

  private void flush() {
    flushScheduled = false;
    if (writing || waiting == null) {
      return;
    }
    Batch batch = waiting;
    List<Promise<SessionQueue.AppendResult>> appends = batch.appends;
    Promise<Void> stored = batch.stored;
    waiting = null;
    writing = true;
    store
        .changeQueue(clientId, connectionId, batch.changes)
        .onComplete(
            ar -> {
              writing = false;
              if (ar.succeeded()) {
                List<SessionQueue.AppendResult> results = ar.result();
                for (int i = 0; i < appends.size(); i++) {
                  appends.get(i).complete(results.get(i));
                }
                stored.complete();
              } else {
                appends.forEach(p -> p.fail(ar.cause()));
                stored.fail(ar.cause());
              }
              // what waited while this batch was stored has waited long enough
              flush();
            });
  }
}
