package io.mqttgrid.console;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node's message rates (in, out, dropped, per second) over the last 15 minutes, one point per
 * 2-second bucket, sampled from the counters the overview reads (the ones Prometheus scrapes).
 * Micrometer keeps a counter's total, not its history, and Prometheus is not ours to ask: this ring
 * of 450 points is what the console's chart needs, no more.
 *
 * <p>A point is labelled with the start of its bucket ({@code t}, epoch milliseconds, a multiple of
 * {@link #PERIOD_MILLIS}), so that the members' points of one bucket can be summed. The sampler is
 * meant to run in the middle of each bucket; a sample that comes late and skips a bucket gives its
 * rate (the rate of the whole interval since the previous sample) to the skipped bucket too, and
 * two samples in one bucket are merged, so each member has one point per bucket.
 */
final class MessageRateHistory {

  static final long PERIOD_MILLIS = 2000;
  static final int CAPACITY = (int) (15 * 60 * 1000 / PERIOD_MILLIS);

  /** Messages per second in the 2 seconds of bucket {@code t}. */
  record Point(long t, double in, double out, double dropped) {
    JsonObject toJson() {
      return new JsonObject().put("t", t).put("in", in).put("out", out).put("dropped", dropped);
    }

    static Point fromJson(JsonObject o) {
      return new Point(
          o.getLong("t"), o.getDouble("in"), o.getDouble("out"), o.getDouble("dropped"));
    }
  }

  private final ArrayDeque<Point> points = new ArrayDeque<>();

  /** The previous sample: its time (nanoTime) and its counters. */
  private long lastNanos;

  private double lastIn;
  private double lastOut;
  private double lastDropped;
  private boolean started;

  /** The interval the last point's rate is over (seconds). */
  private double lastSeconds;

  /** The bucket a time falls in: its start. */
  static long bucket(long epochMillis) {
    return Math.floorDiv(epochMillis, PERIOD_MILLIS) * PERIOD_MILLIS;
  }

  /**
   * Records the counters' totals read at {@code epochMillis} (the bucket's label) and {@code nanos}
   * (the rate's elapsed time, from a clock that does not jump). The first sample only sets the
   * baseline.
   */
  synchronized void sample(long epochMillis, long nanos, double in, double out, double dropped) {
    if (!started) {
      started = true;
      remember(nanos, in, out, dropped);
      return;
    }
    double seconds = Math.max(0.001, (nanos - lastNanos) / 1e9);
    // a counter never goes down; if a meter was removed and registered again, count from there
    Point rate =
        new Point(
            bucket(epochMillis),
            Math.max(0, in - lastIn) / seconds,
            Math.max(0, out - lastOut) / seconds,
            Math.max(0, dropped - lastDropped) / seconds);
    Point previous = points.peekLast();
    if (previous != null && previous.t() == rate.t()) {
      // two samples in one bucket (a timer came early): one point, the rate of both intervals
      double both = lastSeconds + seconds;
      points.pollLast();
      add(
          new Point(
              rate.t(),
              (previous.in() * lastSeconds + rate.in() * seconds) / both,
              (previous.out() * lastSeconds + rate.out() * seconds) / both,
              (previous.dropped() * lastSeconds + rate.dropped() * seconds) / both));
      seconds = both;
    } else {
      if (previous != null && rate.t() > previous.t()) {
        long skipped = (rate.t() - previous.t()) / PERIOD_MILLIS - 1;
        for (long i = Math.max(1, skipped - CAPACITY + 1); i <= skipped; i++) {
          add(new Point(previous.t() + i * PERIOD_MILLIS, rate.in(), rate.out(), rate.dropped()));
        }
      }
      add(rate);
    }
    lastSeconds = seconds;
    remember(nanos, in, out, dropped);
  }

  private void remember(long nanos, double in, double out, double dropped) {
    lastNanos = nanos;
    lastIn = in;
    lastOut = out;
    lastDropped = dropped;
  }

  private void add(Point p) {
    points.addLast(p);
    while (points.size() > CAPACITY) {
      points.pollFirst();
    }
  }

  /** The points of the buckets after {@code after} up to {@code upTo} (both bucket starts). */
  synchronized JsonArray between(long after, long upTo) {
    JsonArray out = new JsonArray();
    for (Point p : points) {
      if (p.t() > after && p.t() <= upTo) {
        out.add(p.toJson());
      }
    }
    return out;
  }

  /** The members' points summed per bucket, in time order: the cluster's rates. */
  static JsonArray sumByBucket(List<JsonArray> members) {
    Map<Long, double[]> sums = new TreeMap<>();
    for (JsonArray memberPoints : members) {
      for (int i = 0; i < memberPoints.size(); i++) {
        Point p = Point.fromJson(memberPoints.getJsonObject(i));
        double[] sum = sums.computeIfAbsent(p.t(), t -> new double[3]);
        sum[0] += p.in();
        sum[1] += p.out();
        sum[2] += p.dropped();
      }
    }
    JsonArray out = new JsonArray();
    sums.forEach((t, s) -> out.add(new Point(t, s[0], s[1], s[2]).toJson()));
    return out;
  }
}
