package io.mqttgrid.session;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QoS 1/2 messages of a connected persistent session that its store holds and its {@link
 * OutboundWindow} has not taken yet: those that arrived while the window's pending queue was full,
 * and every one after them. It reads them back from the store, oldest first, when the window asks
 * ({@link OutboundWindow.Outcomes#readStored}).
 *
 * <p>What it reads is found by sequence number: the messages left to the store are the newest
 * QUEUED ones, so a read asks for the QUEUED messages from the first of them on ({@link
 * SessionStore#readQueue}) and the next read starts after the last one answered; none is answered
 * twice. Appends complete in their order ({@link QueueWriter}), so the first one stored tells where
 * to start. The store holds them all only once their appends are done: a read is taken as the end
 * of the backlog only when none was under way when it was asked and none came after.
 *
 * <p>Touched only on the session's context; a connection's end forgets it ({@link #reset}).
 */
final class StoredBacklog {

  private static final Logger LOG = LoggerFactory.getLogger(StoredBacklog.class);

  /** A read that failed is tried again after this long (ms). */
  private static final long RETRY_MILLIS = 1_000;

  /** Where the messages read go: the window's answer, built by the session. */
  interface Reader {
    void read(List<QueuedMessage> messages, boolean storeHasMore);
  }

  private final SessionStore store;
  private final String clientId;
  private final Context context;
  private final Vertx vertx;
  private final Reader reader;

  /** Counts connections: what was asked for an earlier one is not answered to this one. */
  private long generation;

  /** The sequence number the next read starts at; 0 until the first message left is stored. */
  private long from;

  /** Appends of messages left to the store that are under way. */
  private int appending;

  /** Messages left to the store so far, to tell whether one came after a read was asked. */
  private long left;

  /** The read the window asked for and has no answer yet; null when none. */
  private Request wanted;

  private boolean reading;

  private record Request(int maxMessages, long maxBytes) {}

  StoredBacklog(SessionStore store, String clientId, Context context, Vertx vertx, Reader reader) {
    this.store = store;
    this.clientId = clientId;
    this.context = context;
    this.vertx = vertx;
    this.reader = reader;
  }

  /** The window left this message to the store; {@code appended} is its append. */
  void left(QueuedMessage message, Future<SessionQueue.AppendResult> appended) {
    long g = generation;
    appending++;
    left++;
    appended.onComplete(
        ar -> {
          if (g != generation) {
            return;
          }
          appending--;
          if (from == 0 && ar.succeeded() && ar.result() == SessionQueue.AppendResult.APPENDED) {
            from = message.seq();
          }
          tryRead();
        });
  }

  /**
   * The window attached with the queue's messages from sequence number {@code seq} on left in the
   * store.
   */
  void startAt(long seq) {
    from = seq;
  }

  /** The window asks for stored messages. */
  void read(int maxMessages, long maxBytes) {
    wanted = new Request(maxMessages, maxBytes);
    tryRead();
  }

  /** The connection ended: the store keeps the messages, for the next one. */
  void reset() {
    generation++;
    from = 0;
    appending = 0;
    wanted = null;
    reading = false;
  }

  private void tryRead() {
    if (wanted == null || reading) {
      return;
    }
    if (from == 0) {
      if (appending == 0) {
        // every message left to the store was refused by it (or was there already): none to read
        answer(List.of(), false);
      }
      return; // else asked again when the first append is done
    }
    Request r = wanted;
    long g = generation;
    boolean allStored = appending == 0;
    long leftBefore = left;
    reading = true;
    store
        .readQueue(clientId, from, r.maxMessages(), r.maxBytes())
        .onComplete(
            ar -> {
              if (g != generation) {
                return;
              }
              reading = false;
              if (ar.failed()) {
                LOG.warn(
                    "session {}: could not read its stored messages back, trying again in {} ms: {}",
                    clientId,
                    RETRY_MILLIS,
                    ar.cause().toString());
                vertx.setTimer(RETRY_MILLIS, id -> context.runOnContext(v -> retry(g)));
                return;
              }
              SessionQueue.Slice slice = ar.result();
              List<QueuedMessage> got = slice.messages();
              if (!got.isEmpty()) {
                from = got.get(got.size() - 1).seq() + 1;
              }
              boolean more = slice.more() || !allStored || left != leftBefore;
              if (got.isEmpty() && more) {
                if (appending == 0) {
                  tryRead(); // what came after the read was asked is stored now
                }
                return; // else asked again when an append is done
              }
              answer(got, more);
            });
  }

  private void retry(long g) {
    if (g == generation) {
      tryRead();
    }
  }

  private void answer(List<QueuedMessage> messages, boolean more) {
    wanted = null;
    if (!more) {
      from = 0; // the next messages left to the store start a backlog of their own
    }
    long g = generation;
    long leftBefore = left;
    // never within the window's own call: it adds what it gets to its queue and pumps it; a
    // message left to the store meanwhile starts the next backlog, which the window must expect
    context.runOnContext(
        v -> {
          if (g == generation) {
            reader.read(messages, more || left != leftBefore);
          }
        });
  }
}
