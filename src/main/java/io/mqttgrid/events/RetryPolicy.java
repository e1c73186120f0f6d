package io.mqttgrid.events;

import java.util.List;

/**
 * When a failed delivery is tried again, and when it is given up (Event Grid's retry policy): the
 * schedule of delays (Event Grid's routing delivery and retry rules, the last one repeated), a cap
 * on attempts and on the events' age.
 *
 * @param delaysMillis the delay before retry 1, 2, ...; at least one
 * @param maxDeliveryAttempts attempts, the first included, after which the events are dead-lettered
 * @param eventTimeToLiveMillis the age past which they are dead-lettered instead of retried
 */
record RetryPolicy(List<Long> delaysMillis, int maxDeliveryAttempts, long eventTimeToLiveMillis) {

  RetryPolicy {
    delaysMillis = List.copyOf(delaysMillis);
    if (delaysMillis.isEmpty()) {
      throw new IllegalArgumentException("at least one retry delay");
    }
  }

  /** The delay before retry {@code attempt + 1}: the schedule's, its last one repeated. */
  long delay(int attempt) {
    return delaysMillis.get(Math.min(attempt, delaysMillis.size() - 1));
  }

  /** Milliseconds the oldest event of {@code batch} may still be retried (0 or less: none). */
  long timeToLive(List<RoutedEvent> batch, long nowMillis) {
    long oldest = batch.stream().mapToLong(RoutedEvent::builtAtMillis).min().orElse(0);
    return oldest + eventTimeToLiveMillis - nowMillis;
  }
}
