package io.mqttgrid.events;

import io.vertx.core.Context;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One destination's bounded buffer ({@code routing.buffer-events}): the count of the events it
 * holds (waiting, in flight or waiting for a retry; the node's count follows it), the queue of
 * those waiting for their first attempt, and the wake-ups of the destination's pump, which takes
 * them on the routing's context: once per hand-off, and none while as many requests are in flight
 * as may be (the pump runs anyway when one ends).
 */
final class DestinationBuffer {

  private final int bound;
  private final AtomicInteger nodeHeld;
  private final Context context;
  private final Runnable pump;

  /** Events built and not yet delivered or dropped: waiting, in flight or waiting for a retry. */
  private final AtomicInteger held = new AtomicInteger();

  private final ConcurrentLinkedQueue<RoutedEvent> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean pumpScheduled = new AtomicBoolean();

  /**
   * Set by the pump when it stops because as many requests are in flight as may be, cleared when it
   * runs again (each request that ends runs it): while it is set, new events need not wake it.
   */
  private volatile boolean saturated;

  /**
   * @param bound the events it may hold, {@code routing.buffer-events}
   * @param nodeHeld the node's count of held events, which follows this one
   * @param pump what takes the waiting events, run on {@code context}
   */
  DestinationBuffer(int bound, AtomicInteger nodeHeld, Context context, Runnable pump) {
    this.bound = bound;
    this.nodeHeld = nodeHeld;
    this.context = context;
    this.pump = pump;
  }

  /** The events waiting for their first attempt, oldest first; only the pump takes from it. */
  Queue<RoutedEvent> waiting() {
    return waiting;
  }

  /** Events it holds: waiting, in flight or waiting for a retry. */
  int held() {
    return held.get();
  }

  /** Takes a place in the buffer; false when it is full. */
  boolean reserve(int n) {
    return reserveUpTo(n) == n;
  }

  /** Takes up to {@code n} places in the buffer, as many as it has: how many. */
  int reserveUpTo(int n) {
    int now;
    int taken;
    do {
      now = held.get();
      taken = Math.max(0, Math.min(n, bound - now));
      if (taken == 0) {
        return 0;
      }
    } while (!held.compareAndSet(now, now + taken));
    nodeHeld.addAndGet(taken);
    return taken;
  }

  /** Holds {@code n} events beyond the bound if need be (a dead node's share, taken over). */
  void holdBeyondBound(int n) {
    held.addAndGet(n);
    nodeHeld.addAndGet(n);
  }

  /** {@code n} events are delivered or ended: their places are free. */
  void release(int n) {
    held.addAndGet(-n);
    nodeHeld.addAndGet(-n);
  }

  /** Queues an event whose place is reserved, and wakes the pump ({@link #wake}). */
  void add(RoutedEvent event) {
    waiting.add(event);
    wake();
  }

  /**
   * New events wait: the pump runs, unless it will anyway, when a request in flight ends (the
   * requests in flight are as many as may be): then the events wait for it without a wake-up of the
   * context each. Called after the events are in {@link #waiting}, which the pump reads after it
   * clears {@link #saturated}.
   */
  void wake() {
    if (!saturated) {
      schedulePump();
    }
  }

  /** The pump runs on the context, once however many ask before it does. */
  void schedulePump() {
    if (pumpScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> pump.run());
    }
  }

  /** The pump runs now: a later event wakes it again. On the context. */
  void pumpRunning() {
    pumpScheduled.set(false);
    saturated = false;
  }

  /**
   * The pump stops with as many requests in flight as may be: an event added before this was seen
   * by no pump, and the one that runs when a request ends takes it.
   */
  void saturated() {
    saturated = true;
  }

  /** A place for a request was freed outside a pump's run: new events wake the pump again. */
  void unsaturated() {
    saturated = false;
  }
}
