package io.mqttgrid.session;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The order of deliveries between two copies of one session on this node: the copy that a reconnect
 * takes over and the newer copy that takes its place, its successor. A copy counts every delivery
 * it takes in until the delivery is settled (stored, refused, or handed over to the successor); the
 * successor delivers what it takes in itself only once nothing the older copy took in can still
 * reach it, so a publisher's later messages do not overtake its earlier ones (MQTT 5 section 4.6).
 *
 * <p>{@link Session} is its one subclass, and gives it the three steps that are the session's own:
 * holding its deliveries back while its predecessor settles, letting them go, and taking in a
 * delivery handed over. A superclass rather than an object of the session's: every session has this
 * state and every delivery passes through it, and fields of the session object itself cost no
 * object per session.
 */
abstract sealed class SessionSuccession permits Session {

  /**
   * The bit of {@link #intake} that says the successor is routed to: the router skips this copy.
   */
  private static final long SUPERSEDED = 1L << 62;

  private static final VarHandle INTAKE;

  static {
    try {
      INTAKE = MethodHandles.lookup().findVarHandle(SessionSuccession.class, "intake", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * The newer copy of this session that took its place on this node (a reconnect that took the
   * session over); null until then. Set from any thread.
   */
  private volatile Session successor;

  /**
   * The deliveries this copy took in and has not settled yet (stored, refused, or handed over to
   * its successor), plus one while its predecessor has not settled its own; and {@link
   * #SUPERSEDED}. Updated from any thread. Once it is exactly {@link #SUPERSEDED}, nothing this
   * copy took in can still reach the successor, and the successor may go on with what it took in
   * itself.
   *
   * <p>Why: a copy that is taken over still has deliveries on their way (in its store batch, queued
   * on its context); after the successor claimed the queue, the store refuses them and they are
   * handed over, a store round trip later. Meanwhile the successor is routed to: without this
   * count, the publisher's later messages overtook its earlier ones (MQTT 5 section 4.6).
   *
   * <p>A field with a VarHandle rather than an AtomicLong: one object fewer per session.
   */
  private volatile long intake;

  /** Holds what this copy delivers itself until its predecessor has settled all it took in. */
  abstract void holdForPredecessor();

  /**
   * The predecessor has settled all it took in: lets what this copy held back for it go. False when
   * there was nothing held for it (any more).
   */
  abstract boolean releaseAfterPredecessor();

  /** Takes in a delivery its predecessor took in first; answers when it is stored (QoS 1/2). */
  abstract Future<Void> acceptHandedOver(OutgoingMessage from);

  /** Whether the successor is routed to ({@link io.mqttgrid.routing.Subscriber#superseded}). */
  public final boolean superseded() {
    return (intake & SUPERSEDED) != 0;
  }

  /**
   * {@code newer} is taking this session's place on this node: what reaches this copy from now on
   * is handed to it, and it delivers what it takes in itself only after that. Called on the newer
   * copy's context, before it claims the session's queue, so that no delivery meets a queue that is
   * no longer this copy's without a successor to go to. {@link #supersede} must follow.
   */
  final void handOverTo(Session newer) {
    newer.awaitPredecessor();
    successor = newer;
  }

  final void awaitPredecessor() {
    holdForPredecessor();
    addToIntake(1); // settled with the predecessor: a chain of takeovers keeps its order
  }

  /**
   * The successor is routed to now: the router delivers to it only, and a delivery that reaches
   * this copy still goes to the successor, behind what this copy took in.
   */
  final void supersede() {
    long before = (long) INTAKE.getAndBitwiseOr(this, SUPERSEDED);
    if (before == 0) {
      allSettled();
    }
  }

  /** Counts a delivery in; answers the successor instead when the delivery is the successor's. */
  final Session takeIn() {
    while (true) {
      long v = intake;
      Session next = successor;
      if ((v & SUPERSEDED) != 0 && next != null) {
        return next;
      }
      if (INTAKE.compareAndSet(this, v, v + 1)) {
        return null;
      }
    }
  }

  /** Adds to {@link #intake}; answers the new value. */
  private long addToIntake(long delta) {
    return (long) INTAKE.getAndAdd(this, delta) + delta;
  }

  /** A delivery taken in is stored, refused or handed over. On the session's context. */
  final void settle() {
    if (addToIntake(-1) == SUPERSEDED) {
      allSettled();
    }
  }

  /** Nothing this copy took in can reach its successor any more. */
  private void allSettled() {
    Session next = successor;
    if (next != null) {
      // queued behind the hand-overs this copy made on the successor's context
      next.onContext(next::predecessorDone);
    }
  }

  final void predecessorDone() {
    if (releaseAfterPredecessor()) {
      settle();
    }
  }

  /**
   * A delivery that reached this copy after its successor took the session's queue: the successor
   * stores it, and the publisher hears from the successor. False when there is none (the session
   * moved to another node: the publisher is told, and retries there).
   */
  final boolean handOver(OutgoingMessage o, Promise<Void> stored) {
    Session next = successor;
    if (next == null) {
      return false;
    }
    Future<Void> there = next.takeHandedOver(o);
    if (stored != null) {
      there.onComplete(stored);
    }
    return true;
  }

  /** A delivery the predecessor took in and hands over: it goes before this session's own ones. */
  final Future<Void> takeHandedOver(OutgoingMessage from) {
    addToIntake(1); // this session's now, even when it is superseded in turn
    return acceptHandedOver(from);
  }
}
