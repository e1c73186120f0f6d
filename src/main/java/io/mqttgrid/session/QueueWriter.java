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

  private List<QueueChange> waiting = new ArrayList<>();

  /** The appends' promises among {@link #waiting}, in order. */
  private List<Promise<SessionQueue.AppendResult>> waitingAppends = new ArrayList<>();

  /** Where in {@link #waiting} a message's change of state is, by sequence number. */
  private Map<Long, Integer> waitingStateChanges = new HashMap<>();

  /** Completes when the batch of {@link #waiting} is stored; null until a change waits. */
  private Promise<Void> waitingStored;

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
    waitingAppends.add(appended);
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
    Integer at = waitingStateChanges.remove(seq);
    if (at != null) {
      waiting.set(at, QueueChange.remove(seq));
      return waitingStored.future();
    }
    return add(QueueChange.remove(seq));
  }

  private Future<Void> addStateChange(QueueChange change) {
    waitingStateChanges.put(change.seq(), waiting.size());
    return add(change);
  }

  private Future<Void> add(QueueChange change) {
    waiting.add(change);
    if (waitingStored == null) {
      waitingStored = Promise.promise();
    }
    if (!writing && !flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
    return waitingStored.future();
  }

  private void flush() {
    flushScheduled = false;
    if (writing || waiting.isEmpty()) {
      return;
    }
    List<QueueChange> batch = waiting;
    List<Promise<SessionQueue.AppendResult>> appends = waitingAppends;
    Promise<Void> stored = waitingStored;
    waiting = new ArrayList<>();
    waitingAppends = new ArrayList<>();
    waitingStateChanges = new HashMap<>();
    waitingStored = null;
    writing = true;
    store
        .changeQueue(clientId, connectionId, batch)
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
