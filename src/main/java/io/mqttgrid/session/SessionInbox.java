package io.mqttgrid.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work handed to one session from any thread (deliveries from publishers' event loops, its
 * life-cycle steps), run on the session's context in arrival order, in batches: one task on the
 * context runs everything that arrived since the last one, up to {@code maxBatch}, so a subscriber
 * fed by several publishers is woken once per batch rather than once per message, and its writes of
 * a batch leave together.
 *
 * <p>Every piece of a session's work goes through here (see {@link Session#onContext}), so a batch
 * cut at {@code maxBatch} keeps the order: what is left waits for the next task, ahead of anything
 * added later. Between batches the event loop reads its sockets again (the subscriber's PUBACKs,
 * which make room for what waits).
 *
 * <p>Hand-written: Vert.x's context runs one task per {@code runOnContext}, and Netty's {@code
 * FlushConsolidationHandler} batches flushes, not tasks.
 */
final class SessionInbox {

  private static final Logger LOG = LoggerFactory.getLogger(SessionInbox.class);

  /** Work items per task on the session's context, before the loop's other work gets its turn. */
  static final int MAX_BATCH = 256;

  private final ConcurrentLinkedQueue<Runnable> work = new ConcurrentLinkedQueue<>();

  /**
   * Whether a task that takes the work in is on the context (queued or running). A field with a
   * VarHandle rather than an AtomicBoolean: one object fewer per session (16 bytes per connection).
   */
  private volatile boolean scheduled;

  private static final VarHandle SCHEDULED;

  static {
    try {
      SCHEDULED =
          MethodHandles.lookup().findVarHandle(SessionInbox.class, "scheduled", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Consumer<Runnable> context;
  private final int maxBatch;
  private final Batches batches;

  /** What the session does around one batch: its writes leave together, at the batch's end. */
  interface Batches {
    void started();

    void ended();
  }

  private final Runnable takeIn = this::takeIn;

  /**
   * @param context runs a task on the session's context, behind what is queued there
   */
  SessionInbox(Consumer<Runnable> context, int maxBatch, Batches batches) {
    this.context = context;
    this.maxBatch = maxBatch;
    this.batches = batches;
  }

  /** Hands {@code task} over, from any thread: it runs after everything handed over before it. */
  void add(Runnable task) {
    work.add(task);
    if (SCHEDULED.compareAndSet(this, false, true)) {
      context.accept(takeIn);
    }
  }

  /** Runs what arrived, at most one batch; on the session's context. */
  private void takeIn() {
    batches.started();
    try {
      takeBatch();
    } finally {
      batches.ended();
    }
  }

  private void takeBatch() {
    int taken = 0;
    while (true) {
      Runnable task;
      while (taken < maxBatch && (task = work.poll()) != null) {
        taken++;
        try {
          task.run();
        } catch (RuntimeException e) {
          // one failing task must not strand the ones behind it (the context would have reported
          // it and gone on to its next task as well)
          LOG.error("a session task failed", e);
        }
      }
      if (taken >= maxBatch) {
        // the rest in a task of its own, still ahead of anything added later (scheduled stays set)
        context.accept(takeIn);
        return;
      }
      scheduled = false;
      // added between the last poll and the reset: taken in here, not by a task queued behind
      // others (the order against work handed over later would break)
      if (work.isEmpty() || !SCHEDULED.compareAndSet(this, false, true)) {
        return;
      }
    }
  }

  /** Whether work waits to be taken in. */
  boolean isEmpty() {
    return work.isEmpty();
  }
}
