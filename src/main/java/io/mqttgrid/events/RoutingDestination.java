package io.mqttgrid.events;

import static io.mqttgrid.events.RoutingErrors.MAX_DELIVERY_ATTEMPTS;
import static io.mqttgrid.events.RoutingErrors.SERVICE_ERROR;
import static io.mqttgrid.events.RoutingErrors.TIME_TO_LIVE;
import static io.mqttgrid.events.RoutingErrors.TOPIC_NOT_FOUND;
import static io.mqttgrid.events.RoutingErrors.VALIDATION_FAILED;
import static io.mqttgrid.events.RoutingErrors.describe;

import io.mqttgrid.access.RoutingSettings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One destination, the route destination, an event subscription or the dead-letter destination,
 * with its own bounded buffer ({@link DestinationBuffer}) and its own requests in flight: a slow or
 * failing one fills its own buffer, never another's. Its pump sends from the routing's one Vert.x
 * context, behind the webhook's validation handshake ({@link WebhookValidation}) and at the rate
 * its receiver allowed; what comes of each attempt is its {@link RetryCycle}'s (retried on the
 * retry policy's schedule), and what it cannot deliver its {@link DeadLettering}'s (dead-lettered,
 * or dropped, counted).
 */
final class RoutingDestination {

  private static final Logger LOG = LoggerFactory.getLogger(RoutingDestination.class);

  /** The key of the route destination, which no event subscription's name can be. */
  static final String ROUTE = "";

  /** The key of the dead-letter destination, which no event subscription's name can be. */
  static final String DEAD_LETTER = " dead-letter";

  /** Where undelivered events go: the routing's dead-letter destination, or dropped, counted. */
  interface DeadLetters {
    void deadLetter(
        List<RoutedEvent> batch, String reason, int attempts, RoutingDestination from, String why);
  }

  /**
   * What the destinations of one node share: the context they send from, the node's options, the
   * senders, the counters, the node's count of held events, where batches waiting for a retry are
   * kept, and the validation handshake's callback URLs.
   */
  record Shared(
      Vertx vertx,
      Context context,
      WebhookRouting.Options options,
      WebhookSender webhooks,
      RoutingMeters meters,
      AtomicInteger held,
      Supplier<PendingEvents> pending,
      DeadLetters deadLetters,
      ValidationCallbacks callbacks) {}

  private final Shared shared;
  final String key;
  volatile String name;
  volatile EventFilter filter = EventFilter.ALL;

  /** Null once it is removed from the settings: what it holds is then dropped. */
  volatile RoutingSettings.Destination destination;

  private final DestinationBuffer buffer;
  private final RetryCycle retries;
  private final DeadLettering deadLettering;

  /**
   * Requests under way (and batches parked for the handshake): a batch waiting for its retry is not
   * one, so a failing destination keeps sending new events while earlier ones wait. Touched on the
   * context only.
   */
  private int inFlight;

  private final WebhookValidation validation;

  /** Batches in flight that wait for the handshake, sent after it; on the context only. */
  private final List<RetryCycle.Retry> parked = new ArrayList<>();

  /**
   * When the last handshakes failed, the newest last, at most {@code maxDeliveryAttempts} of them:
   * each is a delivery attempt of the events that were waiting then, those made before it. On the
   * context only.
   */
  private final ArrayDeque<Long> handshakeFailures = new ArrayDeque<>();

  /** The event subscription's own retry policy, else the node's. */
  volatile RetryPolicy policy;

  /**
   * The event subscription's own dead-letter destination, or null: the namespace's (or the node's
   * file).
   */
  volatile RoutingDestination deadLetters;

  RoutingDestination(String key, Shared shared) {
    this.key = key;
    this.shared = shared;
    this.policy = shared.options().retryPolicy();
    this.buffer =
        new DestinationBuffer(
            shared.options().bufferEvents(), shared.held(), shared.context(), this::pump);
    this.retries = new RetryCycle(this, shared);
    this.deadLettering = new DeadLettering(this, shared, buffer);
    this.validation = new WebhookValidation(this, shared);
  }

  /**
   * The key of the dead-letter destination of the event subscription whose key is {@code
   * subscription}, which no event subscription's name can be.
   */
  static String deadLetterKey(String subscription) {
    return DEAD_LETTER + "/" + subscription;
  }

  String label() {
    if (key.equals(ROUTE)) {
      return "routing (routeDestination)";
    }
    if (key.equals(DEAD_LETTER)) {
      return "dead-letter destination";
    }
    return deadLetterSink()
        ? "dead-letter destination of event subscription " + name
        : "event subscription " + name;
  }

  /** What dead-letter events name as where the event was going. */
  String subject() {
    return key.equals(ROUTE) ? "routeDestination" : "eventSubscriptions/" + name;
  }

  /** The namespace's dead-letter destination, or an event subscription's. */
  boolean deadLetterSink() {
    return key.startsWith(DEAD_LETTER);
  }

  /**
   * The {@code Subscription} tag of this destination's own counters, or null once it is removed:
   * what it still ends is counted in the namespace's counters only, its own being gone.
   */
  String metricName() {
    if (destination == null) {
      return null;
    }
    return key.equals(ROUTE) ? "(routeDestination)" : name;
  }

  /**
   * How readiness names it: as dead-letter events name where an event was going, or the dead-letter
   * destination.
   */
  String stateName() {
    if (key.equals(DEAD_LETTER)) {
      return "deadLetterDestination";
    }
    return deadLetterSink() ? "eventSubscriptions/" + name + "/deadLetterDestination" : subject();
  }

  /** Whether its last attempt (a request or the handshake) failed; for readiness. */
  boolean failing() {
    return failing;
  }

  /** Events it holds: waiting, in flight or waiting for a retry. */
  int heldEvents() {
    return buffer.held();
  }

  /** Set when an attempt fails, cleared when one succeeds; read by readiness. */
  private volatile boolean failing;

  RetryPolicy policy() {
    return policy;
  }

  /** Events failed here (as {@code Mqtt.FailedRoutedMessages}): both counters. */
  void failedHere(String error, int n) {
    shared.meters().failed(metricName(), error, n);
  }

  /**
   * Takes the event if its filter passes it; false when it is full or removed (the event is not
   * taken).
   */
  boolean offer(RoutedEvent event) {
    if (destination == null) {
      return false;
    }
    EventFilter f = filter;
    // a filter that passes everything does not need the event built (MessageEvents#routed)
    if (!f.passesEverything() && !f.matches(event.event())) {
      return true;
    }
    if (!buffer.reserve(1)) {
      deadLettering.bufferFull(List.of(event));
      return false;
    }
    buffer.add(event);
    return true;
  }

  /**
   * Takes the events its filter passes, as {@link #offer} does each, with one wake-up of the
   * routing's context for all of them and, when it is full, one hand-off of those it cannot take to
   * the dead-letter destination.
   */
  void offerAll(List<RoutedEvent> events) {
    if (destination == null) {
      return;
    }
    EventFilter f = filter;
    List<RoutedEvent> taken = events;
    if (!f.passesEverything()) {
      taken = new ArrayList<>(events.size());
      for (RoutedEvent e : events) {
        if (f.matches(e.event())) {
          taken.add(e);
        }
      }
    }
    int room = buffer.reserveUpTo(taken.size());
    for (int i = 0; i < room; i++) {
      buffer.waiting().add(taken.get(i));
    }
    if (room > 0) {
      buffer.wake();
    }
    if (room < taken.size()) {
      deadLettering.bufferFull(taken.subList(room, taken.size()));
    }
  }

  /**
   * A batch taken over from a node that died: in this buffer (beyond its bound if need be: the dead
   * node's share), sent as soon as a request may start, before new events, its attempts and age
   * going on.
   */
  void adopt(List<RoutedEvent> batch, int attempts) {
    buffer.holdBeyondBound(batch.size());
    // kept in the cluster again at once, as this node's: taking it over took it off, and it may
    // wait here (parked behind this node's validation handshake, which may hang for up to
    // routing.timeout-ms, or behind the requests in flight) before any attempt fails; if this node
    // dies meanwhile, the next survivor takes it over
    retries.keep(batch, attempts);
    retries.dueNow(new RetryCycle.Retry(batch, attempts));
    pump();
  }

  void remove() {
    destination = null;
    closeKafka();
    validation.forget();
    buffer.schedulePump();
  }

  /** The producer of the Kafka destination, made on first use; null for a webhook. */
  private KafkaSender kafka;

  private synchronized KafkaSender kafka(RoutingSettings.KafkaDestination to) {
    if (kafka == null) {
      kafka = new KafkaSender(to, shared.options().timeoutMillis(), label());
    }
    return kafka;
  }

  /** A new destination or none: the next send makes a producer for the new one. */
  synchronized void closeKafka() {
    if (kafka != null) {
      kafka.close();
      kafka = null;
    }
  }

  /** Events waiting for their first attempt; on the context. */
  int waitingEvents() {
    return buffer.waiting().size();
  }

  /**
   * When the next request may start, as the rate the receiver allowed asks ({@link
   * WebhookValidation#intervalMillis}); on the context.
   */
  private long nextStartMillis = Long.MIN_VALUE;

  /** A timer waits for {@link #nextStartMillis}; on the context. */
  private boolean paceTimer;

  /** Starts the sends that the requests in flight allow; on the context. */
  void pump() {
    buffer.pumpRunning();
    Queue<RoutedEvent> waiting = buffer.waiting();
    while (true) {
      if (inFlight >= shared.options().maxRequestsInFlight()) {
        buffer.saturated();
        return;
      }
      if (!retries.anyDue() && waiting.isEmpty()) {
        return;
      }
      RoutingSettings.Destination to = destination;
      if (to != null && !paced(to)) {
        return; // its events wait in its buffer for the receiver's rate
      }
      RetryCycle.Retry due = retries.nextDue();
      if (due != null) {
        inFlight++;
        send(due.batch(), due.attempt());
        continue;
      }
      if (to == null) {
        // removed, or routing turned off: what waits is dropped, counted
        int n = EventBatches.drain(waiting, Integer.MAX_VALUE, 0).size();
        deadLettering.lost(TOPIC_NOT_FOUND, n);
        buffer.release(n);
        return;
      }
      if (!validation.passed(to)) {
        validation.start(to);
        return;
      }
      List<RoutedEvent> batch =
          EventBatches.drain(
              waiting,
              to.maxEventsPerBatch(),
              to.maxEventsPerBatch() > 1 ? to.maxBytesPerBatch() : 0);
      inFlight++;
      send(batch, 0);
    }
  }

  /**
   * Whether a request to {@code to} may start now under the rate its receiver allowed (taking its
   * place if so); if not, the pump runs again when it may. Events are never dropped for the rate:
   * they wait in the buffer, and the next request takes more of them (up to a batch).
   */
  private boolean paced(RoutingSettings.Destination to) {
    long interval = validation.intervalMillis(to);
    if (interval == 0) {
      return true;
    }
    long now = System.nanoTime() / 1_000_000;
    if (now >= nextStartMillis) {
      nextStartMillis = Math.max(now, nextStartMillis) + interval;
      return true;
    }
    if (!paceTimer) {
      paceTimer = true;
      shared
          .vertx()
          .setTimer(
              nextStartMillis - now,
              t ->
                  shared
                      .context()
                      .runOnContext(
                          v -> {
                            paceTimer = false;
                            pump();
                          }));
    }
    return false;
  }

  /**
   * Sends {@code batch} (attempt {@code attempt}, from 0) in a request the caller counted in {@link
   * #inFlight}, then retries or ends it.
   */
  private void send(List<RoutedEvent> batch, int attempt) {
    RoutingSettings.Destination to = destination;
    if (to == null) {
      inFlight--;
      done(batch, TOPIC_NOT_FOUND);
      return;
    }
    if (to.file() != null) {
      byte[] lines = EventBatches.jsonLines(batch);
      shared
          .vertx()
          .executeBlocking(
              () ->
                  Files.write(
                      Path.of(to.file()),
                      lines,
                      StandardOpenOption.CREATE,
                      StandardOpenOption.APPEND),
              true)
          .onComplete(
              ar ->
                  shared
                      .context()
                      .runOnContext(
                          v ->
                              retries.attempted(
                                  batch,
                                  attempt,
                                  to,
                                  ar.succeeded() ? null : SERVICE_ERROR,
                                  ar.succeeded() ? null : describe(ar.cause()))));
      return;
    }
    if (to.kafka() != null) {
      RoutingSettings.KafkaDestination k = to.kafka();
      kafka(k)
          .send(
              batch.stream().map(RoutedEvent::event).toList(),
              batch.stream().map(r -> r.kafkaKey(k.key())).toList(),
              batch.get(0).eventGridSchema(),
              outcomes ->
                  shared
                      .context()
                      .runOnContext(v -> retries.attemptedEach(batch, attempt, to, outcomes)));
      return;
    }
    if (!validation.passed(to)) {
      // a retry after the endpoint changed, or a batch taken over from a node that died: sent
      // once the endpoint answers the handshake here
      parked.add(new RetryCycle.Retry(batch, attempt));
      validation.start(to);
      return;
    }
    shared
        .webhooks()
        .post(to, batch)
        .onComplete(
            ar -> {
              String error =
                  ar.succeeded()
                      ? RoutingErrors.error(ar.result())
                      : SERVICE_ERROR; // network, timeout
              retries.attempted(
                  batch,
                  attempt,
                  to,
                  error,
                  ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause()));
            });
  }

  /** A request is over (it succeeded or not), whatever comes of its events; on the context. */
  void requestOver(boolean succeeded) {
    inFlight--;
    failing = !succeeded;
  }

  /** The batch is not delivered here: to the dead-letter destination, or dropped, counted. */
  void end(List<RoutedEvent> batch, String reason, int attempts, String why) {
    retries.forget(batch);
    deadLettering.giveUp(batch, reason, attempts, why);
    pump();
  }

  /** The batch is delivered ({@code error} null), or ended without a dead letter, counted. */
  void done(List<RoutedEvent> batch, String error) {
    retries.forget(batch);
    // counted before they leave the buffer: an empty buffer means every outcome is counted
    if (error == null) {
      if (!deadLetterSink()) {
        shared.meters().delivered(metricName(), batch.size());
      }
    } else {
      deadLettering.lost(error, batch.size());
    }
    buffer.release(batch.size());
    pump();
  }

  /**
   * The handshake passed, or no longer applies (removed, moved): the parked batches go on, first,
   * as retries that are due (so that they keep to the rate the receiver allowed).
   */
  void handshakeOver() {
    failing = false;
    for (int i = parked.size() - 1; i >= 0; i--) {
      inFlight--;
      retries.dueFirst(parked.get(i));
    }
    parked.clear();
    pump();
  }

  boolean hasParked() {
    return !parked.isEmpty();
  }

  /**
   * A failed handshake is a failed delivery attempt of every event it holds back, those waiting and
   * those parked, counted ({@code ValidationFailed}): the ones past the retry policy's attempts or
   * time to live are dead-lettered, as after a failed request; the others wait for the next.
   *
   * @return milliseconds until the next of the others reaches its time to live
   */
  long handshakeFailed(String why) {
    failing = true;
    shared.meters().validationFailed();
    if (!deadLetterSink()) {
      int parkedEvents = parked.stream().mapToInt(r -> r.batch().size()).sum();
      failedHere(VALIDATION_FAILED, buffer.waiting().size() + parkedEvents);
    }
    handshakeFailures.addLast(System.currentTimeMillis());
    while (handshakeFailures.size() > policy().maxDeliveryAttempts()) {
      handshakeFailures.removeFirst();
    }
    return expireHeldBack(why, true);
  }

  /** Between two handshakes: the events held back that reached their time to live end. */
  void expireHeldBack(String why) {
    expireHeldBack(why, false);
  }

  /**
   * Dead-letters the events held back by the handshake that reached the retry policy's time to
   * live, and, after a failed handshake ({@code attempted}), its attempts.
   *
   * @return milliseconds until the next of the others reaches its time to live
   */
  private long expireHeldBack(String why, boolean attempted) {
    RetryPolicy policy = policy();
    long now = System.currentTimeMillis();
    int ended = 0;
    // oldest first: one that is not over ends the sweep (a later one is seen after the next)
    Queue<RoutedEvent> waiting = buffer.waiting();
    RoutedEvent e;
    while ((e = waiting.peek()) != null) {
      int attempts = handshakeAttempts(e);
      String reason = over(policy, List.of(e), attempts, now);
      if (reason == null) {
        break;
      }
      waiting.poll();
      deadLettering.giveUp(List.of(e), reason, attempts, why);
      ended++;
    }
    List<RetryCycle.Retry> still = new ArrayList<>();
    for (RetryCycle.Retry r : parked) {
      int attempts = attempted ? r.attempt() + 1 : r.attempt();
      String reason = over(policy, r.batch(), attempts, now);
      if (reason == null) {
        if (attempted) {
          retries.keep(r.batch(), attempts);
        }
        still.add(new RetryCycle.Retry(r.batch(), attempts));
      } else {
        retries.forget(r.batch());
        inFlight--;
        buffer.unsaturated(); // room for a request: new events wake the pump again
        deadLettering.giveUp(r.batch(), reason, attempts, why);
        ended += r.batch().size();
      }
    }
    parked.clear();
    parked.addAll(still);
    if (ended > 0) {
      LOG.warn(
          "{}: {}, past the retry policy's attempts or time to live: {} events dead-lettered",
          label(),
          why,
          ended);
    }
    long next = Long.MAX_VALUE;
    RoutedEvent head = waiting.peek();
    if (head != null) {
      next = policy.timeToLive(List.of(head), now);
    }
    for (RetryCycle.Retry r : parked) {
      next = Math.min(next, policy.timeToLive(r.batch(), now));
    }
    return next;
  }

  /** The failed handshakes since {@code e} was made, at most {@code maxDeliveryAttempts}. */
  private int handshakeAttempts(RoutedEvent e) {
    int n = 0;
    for (var it = handshakeFailures.descendingIterator();
        it.hasNext() && it.next() >= e.builtAtMillis(); ) {
      n++;
    }
    return n;
  }

  /** Why {@code batch}, attempted {@code attempts} times, is given up, or null: it is not. */
  private static String over(RetryPolicy policy, List<RoutedEvent> batch, int attempts, long now) {
    if (attempts >= policy.maxDeliveryAttempts()) {
      return MAX_DELIVERY_ATTEMPTS;
    }
    return policy.timeToLive(batch, now) <= 0 ? TIME_TO_LIVE : null;
  }
}
