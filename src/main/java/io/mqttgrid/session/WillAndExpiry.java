package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Vertx;

/**
 * How one session ends once its connection has: its Session Expiry Interval (MQTT 5 section
 * 3.1.2.11), its will with the will delay (section 3.1.3.2), and the timers that count either down
 * while the session is offline. What happens when they run out is decided by {@link SessionWills},
 * {@link SessionExpiry} and {@link SessionTakeover}; this class keeps the state and the timers. On
 * the session's context.
 *
 * <p>Most sessions are clean and have no will: they share {@link #NONE} rather than an object each.
 */
final class WillAndExpiry {

  /**
   * Expiry 0, no will, no timer. Shared by every session that has neither, so nothing may change
   * it: a will is only discarded where there is one, and only a session with an expiry or a will
   * has its expiry changed or a timer armed (each says so).
   */
  static final WillAndExpiry NONE = new WillAndExpiry(null, 0, null, 0);

  private final Vertx vertx;
  private long expirySeconds;
  private PublishedMessage will;
  private long willDelaySeconds;
  private long willTimer = -1;
  private long expiryTimer = -1;

  private WillAndExpiry(
      Vertx vertx, long expirySeconds, PublishedMessage will, long willDelaySeconds) {
    this.vertx = vertx;
    this.expirySeconds = expirySeconds;
    this.will = will;
    this.willDelaySeconds = willDelaySeconds;
  }

  /** {@link #NONE} for expiry 0 and no will; the timers run on {@code vertx}. */
  static WillAndExpiry of(
      Vertx vertx, long expirySeconds, PublishedMessage will, long willDelaySeconds) {
    return expirySeconds == 0 && will == null
        ? NONE
        : new WillAndExpiry(vertx, expirySeconds, will, willDelaySeconds);
  }

  long expirySeconds() {
    return expirySeconds;
  }

  /** The Session Expiry Interval of a DISCONNECT; a persistent session's only (never NONE). */
  void expirySeconds(long seconds) {
    requireOwn();
    this.expirySeconds = seconds;
  }

  PublishedMessage will() {
    return will;
  }

  long willDelaySeconds() {
    return willDelaySeconds;
  }

  /** The client disconnected normally: its will is gone (MQTT-3.1.2-10). */
  void discardWill() {
    if (will != null) {
      will = null;
      willDelaySeconds = 0;
    }
  }

  /** Runs {@code fire} after the will's delay, on the context that armed it, unless cancelled. */
  void armWill(long delayMillis, Runnable fire) {
    requireOwn();
    willTimer =
        vertx.setTimer(
            delayMillis,
            t -> {
              willTimer = -1;
              fire.run();
            });
  }

  /** Cancels a pending will; answers the will if one was waiting for its delay. */
  PublishedMessage cancelWill() {
    if (willTimer >= 0) {
      vertx.cancelTimer(willTimer);
      willTimer = -1;
      return will;
    }
    return null;
  }

  /** Runs {@code fire} when the offline session expires, on the context that armed it. */
  void armExpiry(long delayMillis, Runnable fire) {
    requireOwn();
    expiryTimer =
        vertx.setTimer(
            delayMillis,
            t -> {
              expiryTimer = -1;
              fire.run();
            });
  }

  void cancelExpiry() {
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }

  private void requireOwn() {
    if (this == NONE) {
      throw new IllegalStateException("a session without expiry and will has nothing to change");
    }
  }
}
