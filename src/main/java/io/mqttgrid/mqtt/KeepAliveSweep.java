package io.mqttgrid.mqtt;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * The keep-alive deadlines of the connections of one event loop, looked at together by one timer. A
 * timer per connection (vertx-mqtt's {@code IdleStateHandler} with its pipeline handlers and its
 * scheduled task, or a Vert.x timer) costs some 200 to 350 bytes of every idle connection; here a
 * connection costs two references in its {@link KeepAlive}. The timer runs only while a connection
 * is in the sweep.
 *
 * <p>Used on its event loop only (the verticle's, on which its server's connections run): the
 * connections are linked through their keep-alives, without a lock.
 */
final class KeepAliveSweep {

  /** How late a lapsed deadline may be noticed: the sweep runs this often. */
  static final long PERIOD_MILLIS = 500;

  private final Vertx vertx;
  private final Thread eventLoop;
  private KeepAlive first;
  private int size;
  private long timer = -1;

  /** On the event loop the connections will use. */
  KeepAliveSweep(Vertx vertx) {
    this.vertx = vertx;
    this.eventLoop = Thread.currentThread();
  }

  void add(KeepAlive k) {
    assert Thread.currentThread() == eventLoop : "keep-alive sweep used off its event loop";
    if (k.inSweep) {
      return;
    }
    k.inSweep = true;
    k.previous = null;
    k.next = first;
    if (first != null) {
      first.previous = k;
    }
    first = k;
    size++;
    if (timer < 0) {
      timer = vertx.setPeriodic(PERIOD_MILLIS, t -> sweep(System.nanoTime()));
    }
  }

  void remove(KeepAlive k) {
    assert Thread.currentThread() == eventLoop : "keep-alive sweep used off its event loop";
    if (!k.inSweep) {
      return;
    }
    k.inSweep = false;
    if (k.previous != null) {
      k.previous.next = k.next;
    } else {
      first = k.next;
    }
    if (k.next != null) {
      k.next.previous = k.previous;
    }
    k.previous = null;
    k.next = null;
    size--;
    if (first == null && timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Connections whose deadline is watched now. */
  int size() {
    return size;
  }

  boolean timerRunning() {
    return timer >= 0;
  }

  /**
   * Ends the connections whose deadline passed at {@code nowNanos}. They leave the sweep before any
   * is told, since ending one runs its close handling.
   */
  void sweep(long nowNanos) {
    List<KeepAlive> lapsed = null;
    for (KeepAlive k = first; k != null; k = k.next) {
      if (k.lapsed(nowNanos)) {
        if (lapsed == null) {
          lapsed = new ArrayList<>();
        }
        lapsed.add(k);
      }
    }
    if (lapsed == null) {
      return;
    }
    for (KeepAlive k : lapsed) {
      remove(k);
    }
    for (KeepAlive k : lapsed) {
      k.lapse();
    }
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
