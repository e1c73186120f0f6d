package io.mqttgrid.mqtt;

/**
 * A token bucket refilled continuously at {@code perSecond}, holding at most one second's worth.
 * Used on one connection's event loop only, so it needs no synchronisation. A rate of 0 means
 * unlimited.
 */
final class RateLimiter {

  /**
   * The limiter of a rate that is off (0, the default), shared by every connection: it holds no
   * state, so an idle connection keeps no limiter (and no throttling callback) of its own.
   */
  static final RateLimiter UNLIMITED = new RateLimiter(0);

  private final double perSecond;
  private final Runnable onRefused;
  private double tokens;
  private long lastNanos;

  RateLimiter(double perSecond) {
    this(perSecond, () -> {});
  }

  /** {@code onRefused} runs on every refusal (the throttling metric). */
  RateLimiter(double perSecond, Runnable onRefused) {
    this.perSecond = perSecond;
    this.onRefused = onRefused;
    this.tokens = perSecond;
    this.lastNanos = System.nanoTime();
  }

  boolean tryTake(double amount) {
    if (perSecond <= 0) {
      return true;
    }
    long now = System.nanoTime();
    tokens = Math.min(perSecond, tokens + (now - lastNanos) / 1e9 * perSecond);
    lastNanos = now;
    if (tokens >= amount || amount > perSecond && tokens >= perSecond) {
      tokens -= amount;
      return true;
    }
    onRefused.run();
    return false;
  }
}
