package io.mqttgrid.logging;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Events counted by kind and handed over at most once per interval, for one log line that tells the
 * operator a storm is happening (how many of each kind, one example) where a line per event would
 * bury the log. The first event of a run is handed over at once. What is logged, and how each kind
 * is described, is the caller's. Safe from any thread.
 *
 * @param <K> the kinds, listed in their natural order
 */
public final class IntervalCounts<K extends Comparable<K>> {

  /**
   * What was counted since the previous summary.
   *
   * @param period "(first this run)" or "in the last N s"
   * @param counts events by kind, in the kinds' order
   * @param example the subject of the first event counted
   */
  public record Summary<K>(String period, Map<K, Long> counts, String example) {

    /** "N kind, N kind", each kind as {@code describe} says it. */
    public String listed(Function<K, String> describe) {
      StringBuilder b = new StringBuilder();
      counts.forEach(
          (kind, n) ->
              b.append(b.length() == 0 ? "" : ", ")
                  .append(n)
                  .append(' ')
                  .append(describe.apply(kind)));
      return b.toString();
    }
  }

  private final long intervalMillis;
  private final LongSupplier clock;
  private Map<K, Long> counts = new TreeMap<>();
  private String example;
  private long lastSummary = Long.MIN_VALUE;

  /**
   * @param clock milliseconds
   */
  public IntervalCounts(long intervalMillis, LongSupplier clock) {
    this.intervalMillis = intervalMillis;
    this.clock = clock;
  }

  /**
   * Counts one event of {@code kind} about {@code subject}. Answers the summary when the interval
   * has passed since the last one (the counting starts anew), else null.
   */
  public synchronized Summary<K> count(K kind, String subject) {
    counts.merge(kind, 1L, Long::sum);
    if (example == null) {
      example = subject;
    }
    long now = clock.getAsLong();
    if (lastSummary != Long.MIN_VALUE && now - lastSummary < intervalMillis) {
      return null;
    }
    Summary<K> summary =
        new Summary<>(
            lastSummary == Long.MIN_VALUE
                ? "(first this run)"
                : "in the last " + (now - lastSummary) / 1000 + " s",
            counts,
            example);
    counts = new TreeMap<>();
    example = null;
    lastSummary = now;
    return summary;
  }
}
