package io.mqttgrid.mqtt;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Log lines about what clients did wrong (malformed packets, refused CONNECTs, connections over a
 * limit), rate-limited per source address and overall, so that a stranger cannot fill the disk with
 * them: a client mistake is not a server error, and one source gets at most {@link #PER_ADDRESS}
 * lines a minute. What was held back is counted in the next line that source gets.
 */
final class ClientMistakeLog {

  static final int PER_ADDRESS = 10;
  static final int OVERALL = 600;
  private static final long WINDOW_MILLIS = 60_000;
  private static final int MAX_ADDRESSES = 10_000;

  private final Logger log;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
  private final Window overall = new Window();
  private final AtomicLong suppressedOverall = new AtomicLong();

  private static final class Window {
    long startMillis;
    int lines;
    long suppressed;
  }

  ClientMistakeLog(Logger log) {
    this.log = log;
  }

  /**
   * Logs {@code message} (an SLF4J pattern) at INFO unless {@code address} or everyone used up the
   * minute.
   */
  void info(String address, String message, Object... args) {
    String key = address == null ? "?" : address;
    long now = System.currentTimeMillis();
    if (windows.size() > MAX_ADDRESSES) {
      windows.clear(); // many sources at once: the overall limit still holds
    }
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long heldBack;
    synchronized (w) {
      if (now - w.startMillis >= WINDOW_MILLIS) {
        w.startMillis = now;
        w.lines = 0;
      }
      if (w.lines >= PER_ADDRESS) {
        w.suppressed++;
        return;
      }
      w.lines++;
      heldBack = w.suppressed;
      w.suppressed = 0;
    }
    synchronized (overall) {
      if (now - overall.startMillis >= WINDOW_MILLIS) {
        overall.startMillis = now;
        overall.lines = 0;
      }
      if (overall.lines >= OVERALL) {
        suppressedOverall.incrementAndGet();
        return;
      }
      overall.lines++;
    }
    long heldBackOverall = suppressedOverall.getAndSet(0);
    if (!log.isInfoEnabled()) {
      return;
    }
    String line = org.slf4j.helpers.MessageFormatter.arrayFormat(message, args).getMessage();
    if (heldBack > 0) {
      line += " (" + heldBack + " more from " + key + " not logged)";
    }
    if (heldBackOverall > 0) {
      line += " (" + heldBackOverall + " more from all clients not logged)";
    }
    log.info(line);
  }
}
