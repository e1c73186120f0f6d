package io.mqttgrid.events;

import static io.mqttgrid.events.RoutingErrors.MAX_DELIVERY_ATTEMPTS;
import static io.mqttgrid.events.RoutingErrors.NOT_RETRIED;
import static io.mqttgrid.events.RoutingErrors.TIME_TO_LIVE;

import io.mqttgrid.access.RoutingSettings;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of one destination's attempts (Event Grid's retry policy): a batch delivered is
 * done; one refused is dead-lettered at once; one that failed for a while is retried on the retry
 * policy's schedule, kept in the cluster meanwhile ({@link PendingEvents}, for a survivor), until
 * the policy's attempts or time to live end it. The batches whose retry is due wait here for the
 * pump, which sends them before new events. On the routing's context only.
 */
final class RetryCycle {

  // the destination's: an operator's log settings name the one class, whatever does the work
  private static final Logger LOG = LoggerFactory.getLogger(RoutingDestination.class);

  /** A batch to send as attempt {@code attempt} (from 0). */
  record Retry(List<RoutedEvent> batch, int attempt) {}

  private final RoutingDestination destination;
  private final RoutingDestination.Shared shared;

  /** Batches whose retry is due, sent before new events when a request may start. */
  private final ArrayDeque<Retry> due = new ArrayDeque<>();

  /** The id under which a batch waiting for a retry is kept in the cluster. */
  private final Map<List<RoutedEvent>, String> pendingIds = new IdentityHashMap<>();

  RetryCycle(RoutingDestination destination, RoutingDestination.Shared shared) {
    this.destination = destination;
    this.shared = shared;
  }

  /** The next batch whose retry is due, or null. */
  Retry nextDue() {
    return due.poll();
  }

  boolean anyDue() {
    return !due.isEmpty();
  }

  /** {@code retry} is due now, after those due already. */
  void dueNow(Retry retry) {
    due.add(retry);
  }

  /** {@code retry} is due before any other (a batch the handshake held back). */
  void dueFirst(Retry retry) {
    due.addFirst(retry);
  }

  /**
   * The outcome of attempt {@code attempt} (from 0) to send {@code batch}: done, retried on the
   * schedule, or dead-lettered (Event Grid's retry policy: a refusal at once, a transient failure
   * past {@code routing.max-delivery-attempts} or the events' time to live).
   */
  void attempted(
      List<RoutedEvent> batch,
      int attempt,
      RoutingSettings.Destination to,
      String error,
      String why) {
    destination.requestOver(error == null); // whatever comes of its events
    if (error == null) {
      destination.done(batch, null);
      return;
    }
    int attempts = attempt + 1;
    if (!destination.deadLetterSink()) {
      destination.failedHere(error, batch.size());
    }
    if (!RoutingErrors.retried(error)) {
      LOG.warn(
          "{}: {} refused ({}): {} events dead-lettered",
          destination.label(),
          to.describe(),
          why,
          batch.size());
      destination.end(batch, NOT_RETRIED, attempts, why);
      return;
    }
    RetryPolicy policy = destination.policy();
    if (attempts >= policy.maxDeliveryAttempts()) {
      LOG.warn(
          "{}: {} failed ({}), attempt {} of {}: {} events dead-lettered",
          destination.label(),
          to.describe(),
          why,
          attempts,
          policy.maxDeliveryAttempts(),
          batch.size());
      destination.end(batch, MAX_DELIVERY_ATTEMPTS, attempts, why);
      return;
    }
    keep(batch, attempts);
    // past the time to live the batch is not kept waiting for a retry it will not get
    long delay =
        Math.max(
            1,
            Math.min(policy.delay(attempt), policy.timeToLive(batch, System.currentTimeMillis())));
    if (attempt == 0 || LOG.isDebugEnabled()) {
      LOG.info(
          "{}: {} failed ({}), {} events retried in {} ms",
          destination.label(),
          to.describe(),
          why,
          batch.size(),
          delay);
    }
    shared
        .vertx()
        .setTimer(
            delay,
            t -> shared.context().runOnContext(v -> retryDue(batch, attempt, attempts, to, why)));
    destination.pump(); // its request is over: the next may start meanwhile
  }

  /** The delay before {@code batch}'s next attempt is over: it is due, or past its time to live. */
  private void retryDue(
      List<RoutedEvent> batch,
      int attempt,
      int attempts,
      RoutingSettings.Destination to,
      String why) {
    if (destination.policy().timeToLive(batch, System.currentTimeMillis()) <= 0) {
      LOG.warn(
          "{}: {} still failing ({}) at the events' time to live: {} events dead-lettered",
          destination.label(),
          to.describe(),
          why,
          batch.size());
      destination.end(batch, TIME_TO_LIVE, attempts, why);
    } else {
      due.add(new Retry(batch, attempt + 1));
      destination.pump();
    }
  }

  /**
   * The outcome of attempt {@code attempt} to send {@code batch} to Kafka, one per event (null:
   * written): the events written are delivered, those refused dead-lettered, and only those that
   * failed for a while retried, as a batch of their own.
   */
  void attemptedEach(
      List<RoutedEvent> batch,
      int attempt,
      RoutingSettings.Destination to,
      List<KafkaSender.Failure> outcomes) {
    List<RoutedEvent> written = new ArrayList<>();
    List<RoutedEvent> retried = new ArrayList<>();
    KafkaSender.Failure retriedFailure = null;
    Map<KafkaSender.Failure, List<RoutedEvent>> refused = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      KafkaSender.Failure f = outcomes.get(i);
      if (f == null) {
        written.add(batch.get(i));
      } else if (RoutingErrors.retried(f.error())) {
        retried.add(batch.get(i));
        retriedFailure = retriedFailure == null ? f : retriedFailure;
      } else {
        refused.computeIfAbsent(f, k -> new ArrayList<>()).add(batch.get(i));
      }
    }
    if (written.size() == batch.size()) {
      attempted(batch, attempt, to, null, null);
      return;
    }
    if (retried.size() == batch.size()) {
      attempted(batch, attempt, to, retriedFailure.error(), retriedFailure.why());
      return;
    }
    // parts with outcomes of their own: the batch as kept for a retry is no more
    forget(batch);
    if (!written.isEmpty()) {
      destination.done(written, null);
    }
    for (Map.Entry<KafkaSender.Failure, List<RoutedEvent>> r : refused.entrySet()) {
      List<RoutedEvent> events = r.getValue();
      if (!destination.deadLetterSink()) {
        destination.failedHere(r.getKey().error(), events.size());
      }
      LOG.warn(
          "{}: {} refused {} of {} events ({}): dead-lettered",
          destination.label(),
          to.describe(),
          events.size(),
          batch.size(),
          r.getKey().why());
      destination.end(events, NOT_RETRIED, attempt + 1, r.getKey().why());
    }
    if (!retried.isEmpty()) {
      // counts the request out, and retries these on the schedule
      attempted(retried, attempt, to, retriedFailure.error(), retriedFailure.why());
    } else {
      destination.requestOver(false);
      destination.pump();
    }
  }

  /**
   * Keeps {@code batch}, attempted {@code attempts} times, in the cluster until it is delivered or
   * ended ({@link #forget}): a survivor sends it if this node dies.
   */
  void keep(List<RoutedEvent> batch, int attempts) {
    String id = pendingIds.computeIfAbsent(batch, b -> UUID.randomUUID().toString());
    shared
        .pending()
        .get()
        .keep(id, new EventBatches.Pending(destination.key, attempts, batch).toJson());
  }

  /** {@code batch} is delivered or ended: no longer kept in the cluster. */
  void forget(List<RoutedEvent> batch) {
    String id = pendingIds.remove(batch);
    if (id != null) {
      shared.pending().get().forget(id);
    }
  }
}
