package io.mqttgrid.events;

import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.EventSubscription;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.publish.AcceptedMessages;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every accepted message, as a CloudEvent, to the namespace's destinations (Event Grid's
 * message routing): the route destination, unfiltered, and each event subscription whose filter the
 * event passes (Event Grid's event subscription filters, {@link EventFilter}); webhooks get the
 * CloudEvents HTTP binding ({@link WebhookSender}), Kafka topics its Kafka binding ({@link
 * KafkaSender}).
 *
 * <p>At least once, off the publish path: {@link #accepted} builds the event once and puts it in
 * the bounded buffer of each destination that takes it ({@link RoutingDestination}), which sends
 * from one Vert.x context, retries on the {@link RetryPolicy} and hands what it cannot deliver to
 * the dead-letter destination ({@link #deadLetter}), counted ({@link RoutingMeters}). Batches
 * waiting for a retry are kept in the cluster ({@link PendingEvents}); a survivor takes over those
 * of a node that died ({@link #pendingEvents}).
 */
public final class WebhookRouting implements AcceptedMessages, ClientLifecycleEvents.Sink {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRouting.class);

  /**
   * Node-level options: the buffer, the retry schedule and policy, the HTTP client, the dead-letter
   * file, the validation handshake.
   *
   * @param webhookRequestRate {@code routing.webhook-request-rate}: the {@code
   *     WebHook-Request-Rate} the handshake asks for, 0: none
   * @param validationCallbackBaseUrl {@code routing.validation-callback-base-url}: where receivers
   *     reach the node's HTTP port, for {@code WebHook-Request-Callback}; empty: none offered
   */
  public record Options(
      int bufferEvents,
      int maxRequestsInFlight,
      List<Long> retryDelaysMillis,
      long timeoutMillis,
      String trustedCaFile,
      int maxDeliveryAttempts,
      long eventTimeToLiveMillis,
      String deadLetterFile,
      boolean validateWebhooks,
      int webhookRequestRate,
      String validationCallbackBaseUrl) {
    public Options {
      retryDelaysMillis = List.copyOf(retryDelaysMillis);
      if (retryDelaysMillis.isEmpty()) {
        throw new IllegalArgumentException("at least one retry delay");
      }
    }

    /** Event Grid's retry policy (30 attempts, 1440 minutes), no dead-letter file. */
    public Options(
        int bufferEvents,
        int maxRequestsInFlight,
        List<Long> retryDelaysMillis,
        long timeoutMillis,
        String trustedCaFile) {
      this(
          bufferEvents,
          maxRequestsInFlight,
          retryDelaysMillis,
          timeoutMillis,
          trustedCaFile,
          30,
          TimeUnit.MINUTES.toMillis(1440),
          "",
          true,
          0,
          "");
    }

    /** The node's retry policy ({@code routing.*}). */
    RetryPolicy retryPolicy() {
      return new RetryPolicy(retryDelaysMillis, maxDeliveryAttempts, eventTimeToLiveMillis);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final WebhookSender webhooks;
  private final MessageEvents events;
  private final Options options;
  private final RoutingMeters meters;
  private final RoutingDestination.Shared shared;
  private final ValidationCallbacks callbacks;
  private volatile RoutingSettings settings = RoutingSettings.NONE;

  /**
   * The destinations in settings order: the route destination (unfiltered, key {@link
   * RoutingDestination#ROUTE}), then the event subscriptions. Replaced, never changed, by {@link
   * #update}.
   */
  private volatile List<RoutingDestination> subscriptions = List.of();

  /** Events held by all the destinations, the gauge's value. */
  private final AtomicInteger held = new AtomicInteger();

  /** Where batches waiting for a retry are kept for a survivor; none by default. */
  private volatile PendingEvents pending = PendingEvents.NONE;

  private volatile Executor blocking;

  /** Where undeliverable events go, or null: they are dropped, counted. */
  private volatile RoutingDestination deadLetters;

  /**
   * The event subscriptions' own dead-letter destinations, by key ({@link
   * RoutingDestination#deadLetterKey}); replaced, never changed, by {@link #update}.
   */
  private volatile Map<String, RoutingDestination> subscriptionDeadLetters = Map.of();

  private final java.net.URI deadLetterSource;

  public WebhookRouting(
      Vertx vertx, String namespaceName, Options options, MeterRegistry registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.events = new MessageEvents(namespaceName);
    this.deadLetterSource = ClientLifecycleEvents.source(namespaceName);
    this.options = options;
    this.meters = new RoutingMeters(registry);
    this.webhooks =
        new WebhookSender(
            vertx, options.timeoutMillis(), options.trustedCaFile(), options.maxRequestsInFlight());
    this.callbacks = new ValidationCallbacks(vertx, context, options.validationCallbackBaseUrl());
    this.shared =
        new RoutingDestination.Shared(
            vertx,
            context,
            options,
            webhooks,
            meters,
            held,
            () -> pending,
            this::deadLetter,
            callbacks);
    registry.gauge("mqttgrid.routing.buffered.events", held);
  }

  /**
   * Follows the namespace settings: the destinations, their filters and the enrichments. A
   * destination that stays (same name) keeps what it holds and sends it where it now points; one
   * that goes drops what it holds, counted.
   */
  public synchronized void update(RoutingSettings routing) {
    RoutingSettings before = settings;
    Map<String, RoutingDestination> old = new LinkedHashMap<>();
    for (RoutingDestination s : subscriptions) {
      old.put(s.key, s);
    }
    List<RoutingDestination> now = new ArrayList<>();
    if (routing.destination() != null) {
      now.add(keep(old, RoutingDestination.ROUTE, null, EventFilter.ALL, routing.destination()));
    }
    Map<String, RoutingDestination> oldDeadLetters = new LinkedHashMap<>(subscriptionDeadLetters);
    Map<String, RoutingDestination> nowDeadLetters = new LinkedHashMap<>();
    for (EventSubscription e : routing.subscriptions()) {
      String key = e.name().toLowerCase(Locale.ROOT);
      RoutingDestination s = keep(old, key, e.name(), new EventFilter(e.filter()), e.destination());
      EventSubscription.Delivery d = e.delivery();
      s.policy =
          new RetryPolicy(
              options.retryDelaysMillis(),
              d.maxDeliveryCount() != null ? d.maxDeliveryCount() : options.maxDeliveryAttempts(),
              d.eventTimeToLive() != null
                  ? d.eventTimeToLive().toMillis()
                  : options.eventTimeToLiveMillis());
      RoutingDestination dl = null;
      if (d.deadLetterDestination() != null) {
        dl =
            keep(
                oldDeadLetters,
                RoutingDestination.deadLetterKey(key),
                e.name(),
                EventFilter.ALL,
                d.deadLetterDestination());
        nowDeadLetters.put(dl.key, dl);
      }
      s.deadLetters = dl;
      now.add(s);
    }
    for (RoutingDestination gone : old.values()) {
      LOG.info("{}: off", gone.label());
      String meters = gone.metricName();
      gone.remove();
      gone.deadLetters = null; // what it still ends goes to the namespace's
      // on the context, where its outcomes are counted: none after this, it is removed
      context.runOnContext(v -> this.meters.forget(meters));
    }
    for (RoutingDestination gone : oldDeadLetters.values()) {
      LOG.info("{}: off", gone.label());
      gone.remove();
    }
    settings = routing;
    subscriptions = List.copyOf(now);
    subscriptionDeadLetters = Map.copyOf(nowDeadLetters);
    updateDeadLetters(routing);
    if (clientLifecycleEventsOn(before) != clientLifecycleEventsOn(routing)) {
      LOG.info("client life-cycle events {}", clientLifecycleEventsOn(routing) ? "on" : "off");
    }
  }

  /**
   * The namespace's {@code deadLetterDestination}, else the node's {@code
   * routing.dead-letter-file}, else none.
   */
  private void updateDeadLetters(RoutingSettings routing) {
    RoutingSettings.Destination to =
        routing.deadLetterDestination() != null
            ? routing.deadLetterDestination()
            : options.deadLetterFile().isEmpty()
                ? null
                : RoutingSettings.Destination.file(options.deadLetterFile());
    RoutingDestination dl = deadLetters;
    if (to == null) {
      if (dl != null) {
        LOG.info("{}: off", dl.label());
        deadLetters = null;
        dl.remove();
      }
      return;
    }
    if (dl == null) {
      dl = new RoutingDestination(RoutingDestination.DEAD_LETTER, shared);
    }
    if (!to.equals(dl.destination)) {
      LOG.info("{}: to {}", dl.label(), to.describe());
      dl.closeKafka();
    }
    dl.destination = to;
    deadLetters = dl;
  }

  private RoutingDestination keep(
      Map<String, RoutingDestination> old,
      String key,
      String name,
      EventFilter filter,
      RoutingSettings.Destination destination) {
    RoutingDestination s = old.remove(key);
    if (s == null) {
      s = new RoutingDestination(key, shared);
    }
    String renamed = s.metricName();
    if (renamed != null && name != null && !name.equals(s.name)) {
      // the same subscription, its name's case changed: counted under the new name from now on
      context.runOnContext(v -> meters.forget(renamed));
    }
    s.name = name;
    if (!destination.equals(s.destination)) {
      LOG.info("{}: to {}", s.label(), destination.describe());
      s.closeKafka();
    }
    s.filter = filter;
    s.destination = destination;
    return s;
  }

  private static boolean clientLifecycleEventsOn(RoutingSettings r) {
    return r.routingOn() && r.clientLifecycleEvents();
  }

  @Override
  public void accepted(PublishedMessage message, ClientIdentity publisher) {
    List<RoutingDestination> to = subscriptions;
    if (to.isEmpty()) {
      return;
    }
    // built once, and written to JSON once, whatever number of destinations take it: shared
    hand(events.routed(message, publisher, settings.enrichments()), to);
  }

  /**
   * Events accepted on one event loop since it last handed them to the destinations, and the
   * destinations they go to. On that event loop only.
   */
  private static final class Outbox {
    List<RoutedEvent> events = new ArrayList<>();
    List<RoutingDestination> to = List.of();
  }

  /**
   * One per event loop that accepts messages: its events are handed to the destinations once per
   * turn of the loop (after the messages it read in one go), so that the routing's context is woken
   * once for them all, not once per message.
   */
  private final ThreadLocal<Outbox> outboxes = ThreadLocal.withInitial(Outbox::new);

  /** Outboxes that hold events: {@link #drained} waits for them too. */
  private final AtomicInteger filledOutboxes = new AtomicInteger();

  /**
   * Hands {@code event} to the destinations {@code to}: on an event loop, in its outbox, handed
   * over with the others of this turn of the loop (in order); elsewhere at once.
   */
  private void hand(RoutedEvent event, List<RoutingDestination> to) {
    Context here = Vertx.currentContext();
    // on the loop's own thread only: a blocking task of an event-loop context runs on a worker
    // thread with that context current, and its outbox would be handed over by the loop while the
    // worker still fills it, leaving the rest of its events there
    if (here == null || !here.isEventLoopContext() || !Context.isOnEventLoopThread()) {
      for (RoutingDestination s : to) {
        s.offer(event);
      }
      return;
    }
    Outbox out = outboxes.get();
    if (out.to != to) {
      // the settings changed: what was accepted before goes where they said then
      handOver(out);
      out.to = to;
    }
    if (out.events.isEmpty()) {
      filledOutboxes.incrementAndGet();
      // from the loop itself: a task after the current ones, no wake-up
      here.runOnContext(v -> handOver(out));
    }
    out.events.add(event);
  }

  private void handOver(Outbox out) {
    if (out.events.isEmpty()) {
      return;
    }
    List<RoutedEvent> batch = out.events;
    out.events = new ArrayList<>();
    for (RoutingDestination s : out.to) {
      s.offerAll(batch);
    }
    filledOutboxes.decrementAndGet();
  }

  @Override
  public boolean clientLifecycleEventsOn() {
    return clientLifecycleEventsOn(settings);
  }

  /**
   * Sends a life-cycle event (Event Grid's client life-cycle events) the way a routed message goes:
   * same destinations, filters, buffers, retries and counters. Dropped when routing is off.
   */
  @Override
  public void offer(CloudEvent event) {
    List<RoutingDestination> to = subscriptions;
    if (!to.isEmpty()) {
      // through the outbox too: after the messages its client published before on this loop
      hand(new RoutedEvent(event, settings.lifecycleEventGridSchema(), null), to);
    }
  }

  /**
   * Completes once {@code noMoreEvents} holds and the buffers are empty (delivered or dropped), or
   * after {@code maxMillis}: a graceful stop sends what it holds, the Disconnected events of its
   * clients among them, before the node goes.
   */
  public Future<Void> drained(long maxMillis, BooleanSupplier noMoreEvents) {
    Promise<Void> done = Promise.promise();
    long until = System.currentTimeMillis() + maxMillis;
    checkDrained(done, until, noMoreEvents);
    return done.future();
  }

  private void checkDrained(Promise<Void> done, long until, BooleanSupplier noMoreEvents) {
    // in this order: an event offered after the first check is seen by the second. Routing off:
    // nothing is held, and no event will come
    if (subscriptions.isEmpty()
        || (noMoreEvents.getAsBoolean() && filledOutboxes.get() == 0 && held.get() == 0)
        || System.currentTimeMillis() >= until) {
      done.complete();
    } else {
      vertx.setTimer(50, t -> checkDrained(done, until, noMoreEvents));
    }
  }

  /**
   * Keeps this node's batches waiting for a retry in {@code pending}, and sends those of nodes that
   * died which {@code pending} hands over.
   */
  public void pendingEvents(PendingEvents pending, Executor blocking) {
    this.pending = pending;
    this.blocking = blocking;
    pending.onNodeLost(blocking, this::takeOver);
  }

  /**
   * Once the settings are applied (so that a batch finds its destination): on the first node of a
   * cluster, sends the batches that nodes no longer members were retrying, which the state database
   * kept across a restart of the whole cluster.
   */
  public void takeOverOrphans() {
    Executor on = blocking;
    if (on != null) {
      pending.takeOverOrphans(on, this::takeOver);
    }
  }

  /** A batch a node that died was retrying: sent from here, where its destination is known. */
  private void takeOver(String json) {
    EventBatches.Pending batch = EventBatches.Pending.fromJson(json);
    String key = batch.destination();
    context.runOnContext(
        v -> {
          RoutingDestination to =
              key.equals(RoutingDestination.DEAD_LETTER)
                  ? deadLetters
                  : subscriptionDeadLetters.get(key);
          if (to == null) {
            for (RoutingDestination s : subscriptions) {
              if (s.key.equals(key)) {
                to = s;
              }
            }
          }
          if (to == null) {
            // the destination is gone from the settings meanwhile
            meters.failed(RoutingErrors.TOPIC_NOT_FOUND, batch.events().size());
            return;
          }
          to.adopt(batch.events(), batch.attempts());
        });
  }

  /**
   * What readiness reports of routing (it never makes the node unready: a destination failing is
   * not the node's fault): the events held, the fullest destination's share of {@code
   * routing.buffer-events}, and the destinations whose last attempt failed. Null when routing is
   * off. No URLs or reasons: readiness is not behind the admin check.
   */
  public io.vertx.core.json.JsonObject state() {
    List<RoutingDestination> all = new ArrayList<>(subscriptions);
    if (all.isEmpty()) {
      return null;
    }
    all.addAll(subscriptionDeadLetters.values());
    RoutingDestination dl = deadLetters;
    if (dl != null) {
      all.add(dl);
    }
    int fullest = 0;
    io.vertx.core.json.JsonArray failing = new io.vertx.core.json.JsonArray();
    for (RoutingDestination d : all) {
      fullest = Math.max(fullest, d.heldEvents());
      if (d.failing()) {
        failing.add(d.stateName());
      }
    }
    return new io.vertx.core.json.JsonObject()
        .put("bufferedEvents", held.get())
        .put("fullestBufferPercent", (int) (100L * fullest / options.bufferEvents()))
        .put("failingDestinations", failing);
  }

  /** Events held now by all the destinations: waiting, in flight, or waiting for a retry. */
  public int held() {
    return held.get();
  }

  /**
   * Hands undelivered events to the dead-letter destination, the event subscription's own or the
   * namespace's, each wrapped in a dead-letter event that says why ({@link DeadLetterEvents});
   * without one, or when it is full, they are dropped. Counted either way, never silently.
   */
  private void deadLetter(
      List<RoutedEvent> batch, String reason, int attempts, RoutingDestination from, String why) {
    RoutingDestination dl = from.deadLetters != null ? from.deadLetters : deadLetters;
    int lost = 0;
    int handed = 0;
    for (RoutedEvent r : batch) {
      if (dl != null
          && dl.offer(
              new RoutedEvent(
                  DeadLetterEvents.event(
                      deadLetterSource,
                      from.subject(),
                      r.event(),
                      r.eventGridSchema(),
                      reason,
                      attempts,
                      why),
                  false,
                  r.clientId()))) {
        handed++;
      } else {
        lost++;
      }
    }
    // counted under the destination's name too, unless it is removed (then the namespace's only)
    String subscription = from.metricName();
    meters.deadLettered(subscription, reason, handed);
    meters.dropped(subscription, reason, lost);
  }

  public void close() {
    callbacks.close();
    webhooks.close();
    for (RoutingDestination s : subscriptions) {
      s.closeKafka();
    }
    for (RoutingDestination s : subscriptionDeadLetters.values()) {
      s.closeKafka();
    }
    RoutingDestination dl = deadLetters;
    if (dl != null) {
      dl.closeKafka();
    }
  }
}
