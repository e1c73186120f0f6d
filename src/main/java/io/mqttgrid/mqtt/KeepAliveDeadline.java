package io.mqttgrid.mqtt;

/**
 * When a connection has been silent for too long under the Server Keep Alive: 1.5 x the keep-alive
 * without a packet (MQTT-3.1.2-22, applied to the keep-alive the server announced). Plain
 * arithmetic on {@link System#nanoTime()} readings, so the rule is testable without timers.
 */
final class KeepAliveDeadline {

  private final long timeoutNanos;
  private long lastActivityNanos;

  KeepAliveDeadline(int keepAliveSeconds, long nowNanos) {
    this.timeoutNanos = keepAliveSeconds * 1_500_000_000L;
    this.lastActivityNanos = nowNanos;
  }

  /**
   * Whether the server replaces the client's keep-alive with its own cap (Server Keep Alive in the
   * CONNACK): the client asked for none (0) or for more than the cap.
   */
  static boolean capped(int clientKeepAliveSeconds, int maxKeepAliveSeconds) {
    return clientKeepAliveSeconds == 0 || clientKeepAliveSeconds > maxKeepAliveSeconds;
  }

  /** How often to look at the deadline: a quarter of the keep-alive, at least every 500 ms. */
  static long checkPeriodMillis(int keepAliveSeconds) {
    return Math.max(500, keepAliveSeconds * 250L);
  }

  /** A packet arrived. */
  void touch(long nowNanos) {
    lastActivityNanos = nowNanos;
  }

  boolean passed(long nowNanos) {
    return nowNanos - lastActivityNanos > timeoutNanos;
  }
}
