package io.mqttgrid.session;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;

/**
 * The publishers' acknowledgements a clean session holds back while it is behind ({@code
 * session.hold-acks-above-pending}): each is answered when its message is sent (by the session),
 * when the session ends ({@link #answerAll}), or after {@code session.hold-acks-max-millis},
 * whichever comes first, so that a subscriber that stopped reading holds up its publishers no
 * longer than that per message. On the session's context.
 */
final class HeldAcks {

  private record Held(Promise<Void> ack, long since) {}

  private final Vertx vertx;
  private final long maxMillis;

  /** In the order they were held (some answered already); made when first needed. */
  private ArrayDeque<Held> held;

  private long timer = -1;

  HeldAcks(Vertx vertx, long maxMillis) {
    this.vertx = vertx;
    this.maxMillis = maxMillis;
  }

  void hold(Promise<Void> ack) {
    if (held == null) {
      held = new ArrayDeque<>();
    }
    while (!held.isEmpty() && held.peek().ack().future().isComplete()) {
      held.poll(); // answered when its message was sent
    }
    held.add(new Held(ack, System.currentTimeMillis()));
    if (timer < 0) {
      timer = vertx.setTimer(maxMillis, id -> answerOverdue());
    }
  }

  /**
   * The connection or the session ended: every publisher still waiting is answered now, as every
   * message a clean session held when it ended would have been.
   */
  void answerAll() {
    if (held != null) {
      held.forEach(h -> h.ack().tryComplete());
      held = null;
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void answerOverdue() {
    timer = -1;
    if (held == null) {
      return;
    }
    long now = System.currentTimeMillis();
    Held h;
    while ((h = held.peek()) != null
        && (h.ack().future().isComplete() || now - h.since() >= maxMillis)) {
      held.poll().ack().tryComplete();
    }
    if (h != null) {
      timer = vertx.setTimer(Math.max(1, h.since() + maxMillis - now), id -> answerOverdue());
    }
  }
}
