package io.mqttgrid.http;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * {@code http.publish-rate}: HTTP publishes per second per identity (authentication name, compared
 * case-insensitively), a token bucket holding one second's worth, on each node separately (a client
 * behind a load balancer that spreads its requests over N nodes may get up to N times the rate). 0
 * = no limit. Shared by the node's HTTP event loops.
 */
final class PublishRateLimiter {

  private static final long IDLE_NANOS = 60_000_000_000L;

  private final double perSecond;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long lastNanos;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.lastNanos = now;
    }
  }

  PublishRateLimiter(int perSecond) {
    this(perSecond, System::nanoTime);
  }

  PublishRateLimiter(int perSecond, LongSupplier nanoClock) {
    this.perSecond = perSecond;
    this.nanoClock = nanoClock;
  }

  boolean enabled() {
    return perSecond > 0;
  }

  /**
   * 0 when the publish may go ahead, else the whole seconds to wait before the next one
   * (Retry-After).
   */
  long tryAcquire(String authenticationName) {
    if (perSecond <= 0) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    Bucket b =
        buckets.computeIfAbsent(
            authenticationName.toLowerCase(Locale.ROOT), k -> new Bucket(perSecond, now));
    synchronized (b) {
      b.tokens = Math.min(perSecond, b.tokens + (now - b.lastNanos) / 1e9 * perSecond);
      b.lastNanos = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - b.tokens) / perSecond));
    }
  }

  /** Forgets identities idle for a minute (their bucket is full again anyway). */
  void evictIdle() {
    long now = nanoClock.getAsLong();
    buckets
        .entrySet()
        .removeIf(
            e -> {
              synchronized (e.getValue()) {
                return now - e.getValue().lastNanos > IDLE_NANOS;
              }
            });
  }

  int tracked() {
    return buckets.size();
  }
}
