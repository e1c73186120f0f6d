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
 * <p>An append whose message is done with (acknowledged by the client, typically) while its batch
 * still waits is taken back instead of being written and then removed: it completes at once as
 * {@link SessionQueue.AppendResult#DONE_BEFORE_WRITTEN}, and the database never sees it. A message
 * its client has acknowledged is delivered, so its publisher may hear so without the store; that is
 * the promise a write would have kept. While one batch is written (a database commit, with
 * write-through), a connected subscriber usually acknowledges what arrived meanwhile, so under load
 * most messages to a persistent subscriber that keeps up are never written.
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

  /** One message's append, which may be taken back while its batch waits ({@link #withdraw}). */
  static final class Append {
    private final Batch batch;
    private final int changeAt;
    private final Promise<SessionQueue.AppendResult> outcome = Promise.promise();
    private boolean withdrawn;

    private Append(Batch batch, int changeAt) {
      this.batch = batch;
      this.changeAt = changeAt;
    }

    /** Completes when the append is stored, refused, or taken back. */
    Future<SessionQueue.AppendResult> outcome() {
      return outcome.future();
    }
  }

  /** Changes stored together in one write. */
  private static final class Batch {
    /** In order; an append taken back leaves a null in its place. */
    final List<QueueChange> changes = new ArrayList<>();

    /** The appends among {@link #changes}, in order. */
    final List<Append> appends = new ArrayList<>();

    /** Appends taken back. */
    int withdrawn;

    /** Where in {@link #changes} a message's change of state is, by sequence number. */
    final Map<Long, Integer> stateChanges = new HashMap<>();

    /** Completes when the batch is stored. */
    final Promise<Void> stored = Promise.promise();
  }

  private boolean writing;
  private boolean flushScheduled;

  /** The batch being written, when it holds appends: what {@link #appendsSettled} waits for. */
  private Future<Void> writingAppends;

  QueueWriter(SessionStore store, String clientId, String connectionId, Context context) {
    this.store = store;
    this.clientId = clientId;
    this.connectionId = connectionId;
    this.context = context;
  }

  /**
   * Appends {@code message} within the bounds given; its outcome completes when it is stored (the
   * message has its sequence number then), or when it is taken back.
   */
  Append append(QueuedMessage message, int maxQueued, long maxQueuedBytes) {
    Batch batch = waiting();
    Append append = new Append(batch, batch.changes.size());
    batch.appends.add(append);
    add(QueueChange.append(message, maxQueued, maxQueuedBytes));
    return append;
  }

  /**
   * The message of {@code append} is done with: if its batch still waits, the append is taken out
   * of it and completes now as {@link SessionQueue.AppendResult#DONE_BEFORE_WRITTEN}; true then.
   * False when the append is being stored or was stored: the caller removes the message once it is.
   */
  boolean withdraw(Append append) {
    if (append.batch != waiting || append.withdrawn) {
      return false;
    }
    append.withdrawn = true;
    waiting.changes.set(append.changeAt, null);
    waiting.withdrawn++;
    append.outcome.complete(SessionQueue.AppendResult.DONE_BEFORE_WRITTEN);
    return true;
  }

  /**
   * Completes when every append made so far has its outcome and its handlers have run; null when
   * none waits.
   */
  Future<Void> appendsSettled() {
    if (waiting != null && waiting.appends.size() > waiting.withdrawn) {
      return waiting.stored.future();
    }
    return writingAppends;
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
    waiting = null;
    List<QueueChange> changes = batch.changes;
    List<Append> appends = batch.appends;
    if (batch.withdrawn > 0) {
      changes.removeIf(c -> c == null);
      appends.removeIf(a -> a.withdrawn);
      if (changes.isEmpty()) {
        // everything it held was done with before it was written
        batch.stored.complete();
        return;
      }
    }
    Promise<Void> stored = batch.stored;
    writing = true;
    writingAppends = appends.isEmpty() ? null : stored.future();
    store
        .changeQueue(clientId, connectionId, changes)
        .onComplete(
            ar -> {
              writing = false;
              writingAppends = null;
              if (ar.succeeded()) {
                List<SessionQueue.AppendResult> results = ar.result();
                for (int i = 0; i < appends.size(); i++) {
                  appends.get(i).outcome.complete(results.get(i));
                }
                stored.complete();
              } else {
                appends.forEach(a -> a.outcome.fail(ar.cause()));
                stored.fail(ar.cause());
              }
              // what waited while this batch was stored has waited long enough
              flush();
            });
  }
}
