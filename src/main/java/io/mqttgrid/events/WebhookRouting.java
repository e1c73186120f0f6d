package io.mqttgrid.events;

import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.EventSubscription;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.publish.AcceptedMessages;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every accepted message, as a CloudEvent, to the namespace's webhooks (spec section 6): the
 * route destination, unfiltered, and each event subscription whose filter the event passes (spec
 * section 6.4, {@link EventFilter}); the CloudEvents HTTP binding in structured mode, or batched
 * mode when the destination allows more than one event per request.
 *
 * <p>At least once, off the publish path: {@link #accepted} builds the event once and puts it in
 * the bounded in-memory buffer of each destination that takes it (past {@code
 * routing.buffer-events} in one destination, the event is dropped there and counted); one Vert.x
 * context sends from them, a few requests per destination at a time, and retries a failed request
 * on the configured schedule (spec section 6.5: 429, 5xx and network errors), keeping its events in
 * that buffer meanwhile. A destination that is gone (404) or refuses the broker (401, 403), or
 * rejects the events (other 4xx), drops them, counted. The buffers do not survive the node: durable
 * routing state is not here yet.
 */
public final class WebhookRouting implements AcceptedMessages, ClientLifecycleEvents.Sink {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRouting.class);

  /** Error dimensions of {@code Mqtt.FailedRoutedMessages} (spec section 6.5). */
  static final String TOPIC_NOT_FOUND = "TopicNotFoundError";

  static final String AUTHENTICATION_ERROR = "AuthenticationError";
  static final String TOO_MANY_REQUESTS = "TooManyRequests";
  static final String SERVICE_ERROR = "ServiceError";

  /** Ours: a 4xx other than 401, 403, 404, 429; and a full buffer. */
  static final String CLIENT_ERROR = "ClientError";

  static final String BUFFER_FULL = "BufferFull";

  /** Ours: the webhook did not answer the validation handshake; its events wait. */
  static final String VALIDATION_FAILED = "ValidationFailed";

  /**
   * The {@code WebHook-Request-Origin} of the validation handshake: who sends the events (Event
   * Grid sends {@code eventgrid.azure.net}); one fixed name a receiver can allow.
   */
  static final String REQUEST_ORIGIN = "mqttgrid";

  /**
   * Why an event is dead-lettered ({@code deadLetterReason}): Event Grid's names for the retry
   * policy's limits; ours for a destination that refused the events and for a full buffer.
   */
  static final String MAX_DELIVERY_ATTEMPTS = "MaxDeliveryAttemptExceeded";

  static final String TIME_TO_LIVE = "TimeToLiveExceeded";
  static final String NOT_RETRIED = "DeliveryRefused";

  /** Ours: the dead-letter destination itself failed (past its own retries) or was removed. */
  static final String DEAD_LETTER_FAILED = "DeadLetterFailed";

  /**
   * Node-level options: the buffer, the retry schedule and policy, the HTTP client, the dead-letter
   * file.
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
      boolean validateWebhooks) {
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
          true);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final HttpClient http;
  private final MessageEvents events;
  private final Options options;
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private volatile RoutingSettings settings = RoutingSettings.NONE;

  /**
   * The destinations in settings order: the route destination (unfiltered, key {@link #ROUTE}),
   * then the event subscriptions. Replaced, never changed, by {@link #update}.
   */
  private volatile List<Subscription> subscriptions = List.of();

  /** The key of the route destination, which no event subscription's name can be. */
  private static final String ROUTE = "";

  /** Events held by all the destinations, the gauge's value. */
  private final AtomicInteger held = new AtomicInteger();

  /** Where batches waiting for a retry are kept for a survivor; none by default. */
  private volatile PendingEvents pending = PendingEvents.NONE;

  /** The id under which a batch waiting for a retry is kept; touched on {@link #context} only. */
  private final Map<List<Routed>, String> pendingIds = new java.util.IdentityHashMap<>();

  /** Where undeliverable events go, or null: they are dropped, counted. */
  private volatile Subscription deadLetters;

  /** The key of the dead-letter destination, which no event subscription's name can be. */
  private static final String DEAD_LETTER = " dead-letter";

  private final java.net.URI deadLetterSource;

  /**
   * An event and the schema it goes in: a CloudEvent, or (life-cycle events only) the Event Grid
   * schema. One request holds events of one schema.
   */
  private record Routed(
      CloudEvent event, boolean eventGridSchema, String clientId, long builtAtMillis) {

    Routed(CloudEvent event, boolean eventGridSchema, String clientId) {
      this(event, eventGridSchema, clientId, System.currentTimeMillis());
    }

    /** The Kafka record key {@code key} asks for. */
    String kafkaKey(RoutingSettings.KafkaKey key) {
      return switch (key) {
        case TOPIC -> event.getSubject();
        // a life-cycle event has no publisher: its subject names the client
        case CLIENT_ID -> clientId == null ? event.getSubject() : clientId;
        case NONE -> null;
      };
    }
  }

  public WebhookRouting(
      Vertx vertx, String namespaceName, Options options, MeterRegistry registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.events = new MessageEvents(namespaceName);
    this.deadLetterSource = ClientLifecycleEvents.source(namespaceName);
    this.options = options;
    this.registry = registry;
    HttpClientOptions client =
        new HttpClientOptions()
            .setConnectTimeout((int) Math.min(options.timeoutMillis(), Integer.MAX_VALUE));
    if (!options.trustedCaFile().isEmpty()) {
      client.setTrustOptions(new PemTrustOptions().addCertPath(options.trustedCaFile()));
    }
    this.http = vertx.createHttpClient(client);
    registry.gauge("mqttgrid.routing.buffered.events", held);
    successful();
  }

  /**
   * Follows the namespace settings: the destinations, their filters and the enrichments. A
   * destination that stays (same name) keeps what it holds and sends it where it now points; one
   * that goes drops what it holds, counted.
   */
  public synchronized void update(RoutingSettings routing) {
    RoutingSettings before = settings;
    Map<String, Subscription> old = new LinkedHashMap<>();
    for (Subscription s : subscriptions) {
      old.put(s.key, s);
    }
    List<Subscription> now = new ArrayList<>();
    if (routing.destination() != null) {
      now.add(keep(old, ROUTE, null, EventFilter.ALL, routing.destination()));
    }
    for (EventSubscription e : routing.subscriptions()) {
      now.add(
          keep(
              old,
              e.name().toLowerCase(Locale.ROOT),
              e.name(),
              new EventFilter(e.filter()),
              e.destination()));
    }
    for (Subscription gone : old.values()) {
      LOG.info("{}: off", gone.label());
      gone.remove();
    }
    settings = routing;
    subscriptions = List.copyOf(now);
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
    Subscription dl = deadLetters;
    if (to == null) {
      if (dl != null) {
        LOG.info("{}: off", dl.label());
        deadLetters = null;
        dl.remove();
      }
      return;
    }
    if (dl == null) {
      dl = new Subscription(DEAD_LETTER);
    }
    if (!to.equals(dl.destination)) {
      LOG.info("{}: to {}", dl.label(), to.describe());
      dl.closeKafka();
    }
    dl.destination = to;
    deadLetters = dl;
  }

  private Subscription keep(
      Map<String, Subscription> old,
      String key,
      String name,
      EventFilter filter,
      RoutingSettings.Destination destination) {
    Subscription s = old.remove(key);
    if (s == null) {
      s = new Subscription(key);
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
    List<Subscription> to = subscriptions;
    if (to.isEmpty()) {
      return;
    }
    // built once, whatever number of destinations take it: a CloudEvent is immutable
    CloudEvent event = events.event(message, publisher, settings.enrichments());
    for (Subscription s : to) {
      s.offer(new Routed(event, false, message.publisherClientId()));
    }
  }

  @Override
  public boolean clientLifecycleEventsOn() {
    return clientLifecycleEventsOn(settings);
  }

  /**
   * Sends a life-cycle event (spec section 7) the way a routed message goes: same destinations,
   * filters, buffers, retries and counters. Dropped when routing is off.
   */
  @Override
  public void offer(CloudEvent event) {
    boolean eventGridSchema = settings.lifecycleEventGridSchema();
    for (Subscription s : subscriptions) {
      s.offer(new Routed(event, eventGridSchema, null));
    }
  }

  /**
   * Completes once {@code noMoreEvents} holds and the buffers are empty (delivered or dropped), or
   * after {@code maxMillis}: a graceful stop sends what it holds, the Disconnected events of its
   * clients among them, before the node goes.
   */
  public io.vertx.core.Future<Void> drained(
      long maxMillis, java.util.function.BooleanSupplier noMoreEvents) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    long until = System.currentTimeMillis() + maxMillis;
    checkDrained(done, until, noMoreEvents);
    return done.future();
  }

  private void checkDrained(
      io.vertx.core.Promise<Void> done,
      long until,
      java.util.function.BooleanSupplier noMoreEvents) {
    // in this order: an event offered after the first check is seen by the second. Routing off:
    // nothing is held, and no event will come
    if (subscriptions.isEmpty()
        || (noMoreEvents.getAsBoolean() && held.get() == 0)
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
  public void pendingEvents(PendingEvents pending, java.util.concurrent.Executor blocking) {
    this.pending = pending;
    pending.onNodeLost(blocking, this::takeOver);
  }

  /** The batch as {@link PendingEvents} keeps it: its destination, attempts and events. */
  private static String pendingJson(String destination, int attempts, List<Routed> batch) {
    io.vertx.core.json.JsonArray events = new io.vertx.core.json.JsonArray();
    for (Routed r : batch) {
      events.add(
          new io.vertx.core.json.JsonObject()
              .put(
                  "event",
                  new String(
                      MessageEvents.structured(r.event()), java.nio.charset.StandardCharsets.UTF_8))
              .put("eventGridSchema", r.eventGridSchema())
              .put("clientId", r.clientId())
              .put("builtAt", r.builtAtMillis()));
    }
    return new io.vertx.core.json.JsonObject()
        .put("destination", destination)
        .put("attempts", attempts)
        .put("events", events)
        .encode();
  }

  /** A batch a node that died was retrying: sent from here, where its destination is known. */
  private void takeOver(String json) {
    io.vertx.core.json.JsonObject o = new io.vertx.core.json.JsonObject(json);
    List<Routed> batch = new ArrayList<>();
    JsonFormat format = new JsonFormat();
    for (Object e : o.getJsonArray("events")) {
      io.vertx.core.json.JsonObject r = (io.vertx.core.json.JsonObject) e;
      batch.add(
          new Routed(
              format.deserialize(
                  r.getString("event").getBytes(java.nio.charset.StandardCharsets.UTF_8)),
              r.getBoolean("eventGridSchema"),
              r.getString("clientId"),
              r.getLong("builtAt")));
    }
    String key = o.getString("destination");
    int attempts = o.getInteger("attempts");
    context.runOnContext(
        v -> {
          Subscription to = deadLetters;
          if (to == null || !key.equals(DEAD_LETTER)) {
            to = null;
            for (Subscription s : subscriptions) {
              if (s.key.equals(key)) {
                to = s;
              }
            }
          }
          if (to == null) {
            // the destination is gone from the settings meanwhile
            failed(TOPIC_NOT_FOUND, batch.size());
            return;
          }
          to.adopt(batch, attempts);
        });
  }

  /** Events held now by all the destinations: waiting, in flight, or waiting for a retry. */
  public int held() {
    return held.get();
  }

  /**
   * One destination, the route destination or an event subscription, with its own bounded buffer
   * and its own requests in flight: a slow or failing one fills its own buffer, never another's.
   */
  private final class Subscription {
    final String key;
    String name;
    volatile EventFilter filter = EventFilter.ALL;

    /** Null once it is removed from the settings: what it holds is then dropped. */
    volatile RoutingSettings.Destination destination;

    /** Events built and not yet delivered or dropped: waiting, in flight or waiting for a retry. */
    private final AtomicInteger held = new AtomicInteger();

    private final ConcurrentLinkedQueue<Routed> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean pumpScheduled = new AtomicBoolean();

    /** Touched on {@link #context} only. */
    private int inFlight;

    Subscription(String key) {
      this.key = key;
    }

    String label() {
      return key.equals(ROUTE)
          ? "routing (routeDestination)"
          : key.equals(DEAD_LETTER) ? "dead-letter destination" : "event subscription " + name;
    }

    /** What dead-letter events name as where the event was going. */
    String subject() {
      return key.equals(ROUTE) ? "routeDestination" : "eventSubscriptions/" + name;
    }

    boolean deadLetterSink() {
      return key.equals(DEAD_LETTER);
    }

    /** The {@code Subscription} tag of this destination's own counters. */
    private String metricName() {
      return key.equals(ROUTE) ? "(routeDestination)" : name;
    }

    /**
     * Events delivered here: the namespace's counter and this destination's (ours, by subscription:
     * which one fails is not in Event Grid's namespace-wide metrics).
     */
    private void delivered(int n) {
      successful().increment(n);
      perSubscription("mqttgrid.routing.subscription.delivered.events", metricName(), null)
          .increment(n);
    }

    /** Events failed here (as {@code Mqtt.FailedRoutedMessages}): both counters. */
    private void failedHere(String error, int n) {
      failed(error, n);
      if (n > 0) {
        perSubscription("mqttgrid.routing.subscription.failed.events", metricName(), error)
            .increment(n);
      }
    }

    /** Takes the event if its filter passes it; false when it is full (the event is not taken). */
    boolean offer(Routed event) {
      if (destination == null || !filter.matches(event.event())) {
        return true;
      }
      if (!reserve()) {
        if (!deadLetterSink()) {
          failedHere(BUFFER_FULL, 1);
          deadLetter(List.of(event), BUFFER_FULL, 0, this, "buffer full");
        }
        return false;
      }
      waiting.add(event);
      schedulePump();
      return true;
    }

    /**
     * A batch taken over from a node that died: in this buffer (beyond its bound if need be: the
     * dead node's share), sent at once, its attempts and age going on.
     */
    void adopt(List<Routed> batch, int attempts) {
      held.addAndGet(batch.size());
      WebhookRouting.this.held.addAndGet(batch.size());
      inFlight++;
      send(batch, attempts);
    }

    void remove() {
      destination = null;
      closeKafka();
      schedulePump();
    }

    /** The producer of the Kafka destination, made on first use; null for a webhook. */
    private KafkaSender kafka;

    private synchronized KafkaSender kafka(RoutingSettings.KafkaDestination to) {
      if (kafka == null) {
        kafka = new KafkaSender(to, options.timeoutMillis(), label());
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

    private void schedulePump() {
      if (pumpScheduled.compareAndSet(false, true)) {
        context.runOnContext(v -> pump());
      }
    }

    /** Takes a place in the buffer; false when it is full. */
    private boolean reserve() {
      if (held.incrementAndGet() > options.bufferEvents()) {
        held.decrementAndGet();
        return false;
      }
      WebhookRouting.this.held.incrementAndGet();
      return true;
    }

    private void release(int n) {
      held.addAndGet(-n);
      WebhookRouting.this.held.addAndGet(-n);
    }

    private void pump() {
      pumpScheduled.set(false);
      while (inFlight < options.maxRequestsInFlight() && !waiting.isEmpty()) {
        RoutingSettings.Destination to = destination;
        if (to == null) {
          // removed, or routing turned off: what waits is dropped, counted
          int n = drain(Integer.MAX_VALUE, 0).size();
          lost(TOPIC_NOT_FOUND, n);
          release(n);
          return;
        }
        if (!validated(to)) {
          validate(to);
          return;
        }
        List<Routed> batch =
            drain(to.maxEventsPerBatch(), to.maxEventsPerBatch() > 1 ? to.maxBytesPerBatch() : 0);
        inFlight++;
        send(batch, 0);
      }
    }

    /** The endpoint that answered the handshake last; touched on {@link #context} only. */
    private String validatedUrl;

    /** A handshake or the wait before its retry is under way; on {@link #context} only. */
    private boolean validating;

    private int validationAttempts;

    /** Batches in flight that wait for the handshake, sent after it; on {@link #context} only. */
    private final List<Runnable> parked = new ArrayList<>();

    private void unpark() {
      List<Runnable> now = new ArrayList<>(parked);
      parked.clear();
      now.forEach(Runnable::run);
    }

    /** The endpoint whose failed handshake was logged: one line per endpoint, not per retry. */
    private String reportedUrl;

    /** A webhook gets events once it answered the handshake (or when validation is off). */
    private boolean validated(RoutingSettings.Destination to) {
      return to.endpointUrl() == null
          || !options.validateWebhooks()
          || to.endpointUrl().equals(validatedUrl);
    }

    /**
     * The CloudEvents HTTP webhook abuse protection handshake (CloudEvents 1.0, HTTP 1.1 Web Hooks
     * for Event Delivery, section 4), as Event Grid does it for CloudEvents subscriptions: an
     * OPTIONS request with {@code WebHook-Request-Origin}, answered 200 with that origin (or {@code
     * *}) in {@code WebHook-Allowed-Origin}. Hand-written: the CloudEvents SDK has no sender side
     * of it, and it is one request. Until it passes, the events wait in the buffer (bounded by
     * {@code routing.buffer-events}) and it is retried on the retry schedule; each failure counts
     * the waiting events failed ({@code ValidationFailed}).
     */
    private void validate(RoutingSettings.Destination to) {
      if (validating) {
        return;
      }
      validating = true;
      String url = to.endpointUrl();
      RequestOptions request =
          new RequestOptions()
              .setMethod(HttpMethod.OPTIONS)
              .setAbsoluteURI(url)
              .setIdleTimeout(options.timeoutMillis())
              .putHeader("WebHook-Request-Origin", REQUEST_ORIGIN);
      // the shared secret too: a receiver that checks it on every request lets the handshake in
      to.headers().forEach(request::putHeader);
      http.request(request)
          .compose(req -> req.send())
          .compose(
              resp ->
                  resp.body()
                      .map(
                          b ->
                              resp.statusCode() != 200
                                  ? "HTTP " + resp.statusCode()
                                  : allowed(resp.headers().getAll("WebHook-Allowed-Origin"))
                                      ? null
                                      : "no WebHook-Allowed-Origin: " + REQUEST_ORIGIN))
          .timeout(options.timeoutMillis(), TimeUnit.MILLISECONDS)
          .onComplete(
              ar ->
                  context.runOnContext(
                      v -> validated(to, ar.succeeded() ? ar.result() : describe(ar.cause()))));
    }

    /** The outcome of the handshake with {@code to}: {@code why} it failed, or null. */
    private void validated(RoutingSettings.Destination to, String why) {
      String url = to.endpointUrl();
      RoutingSettings.Destination now = destination;
      if (now == null || !url.equals(now.endpointUrl())) {
        // removed or moved meanwhile: the next pump drops its events or asks the new endpoint
        validating = false;
        validationAttempts = 0;
        unpark();
        pump();
        return;
      }
      if (why == null) {
        validating = false;
        validationAttempts = 0;
        validatedUrl = url;
        LOG.info("{}: {} validated", label(), to.describe());
        reportedUrl = null;
        unpark();
        pump();
        return;
      }
      validationFailures().increment();
      if (!deadLetterSink()) {
        failedHere(VALIDATION_FAILED, waiting.size());
      }
      long delay = delay(validationAttempts++);
      if (!url.equals(reportedUrl)) {
        reportedUrl = url;
        LOG.warn(
            "{}: {} failed the webhook validation handshake ({}): its events wait, asked again"
                + " on the retry schedule",
            label(),
            to.describe(),
            why);
      }
      vertx.setTimer(
          delay,
          t ->
              context.runOnContext(
                  v -> {
                    validating = false;
                    RoutingSettings.Destination d = destination;
                    if (d == null || validated(d)) {
                      unpark(); // removed (they end there, counted) or no longer to validate
                    } else if (!parked.isEmpty()) {
                      validate(d);
                    }
                    pump();
                  }));
    }

    /**
     * Up to {@code max} waiting events of the schema of the first, and, when {@code maxBytes} is
     * above 0, up to that many bytes of events (their JSON; the first is taken whatever its size);
     * this context is the only taker.
     */
    private List<Routed> drain(int max, int maxBytes) {
      List<Routed> batch = new ArrayList<>();
      long bytes = 0;
      Routed e;
      while (batch.size() < max
          && (e = waiting.peek()) != null
          && (batch.isEmpty() || e.eventGridSchema() == batch.get(0).eventGridSchema())) {
        if (maxBytes > 0) {
          // the event's JSON, a comma between: what it adds to the request's body
          bytes += MessageEvents.structured(e.event()).length + (batch.isEmpty() ? 2 : 1);
          if (!batch.isEmpty() && bytes > maxBytes) {
            break;
          }
        }
        batch.add(waiting.poll());
      }
      return batch;
    }

    /** Sends {@code batch} (attempt {@code attempt}, from 0), then retries or ends it. */
    private void send(List<Routed> batch, int attempt) {
      RoutingSettings.Destination to = destination;
      if (to == null) {
        done(batch, TOPIC_NOT_FOUND);
        return;
      }
      boolean eventGrid = batch.get(0).eventGridSchema();
      if (to.file() != null) {
        byte[] lines = jsonLines(batch);
        vertx
            .executeBlocking(
                () ->
                    java.nio.file.Files.write(
                        java.nio.file.Path.of(to.file()),
                        lines,
                        java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND),
                true)
            .onComplete(
                ar ->
                    context.runOnContext(
                        v ->
                            attempted(
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
                batch.stream().map(Routed::event).toList(),
                batch.stream().map(r -> r.kafkaKey(k.key())).toList(),
                eventGrid,
                (error, why) ->
                    context.runOnContext(v -> attempted(batch, attempt, to, error, why)));
        return;
      }
      if (!validated(to)) {
        // a retry after the endpoint changed, or a batch taken over from a node that died: sent
        // once the endpoint answers the handshake here
        parked.add(() -> send(batch, attempt));
        validate(to);
        return;
      }
      boolean batched = to.maxEventsPerBatch() > 1;
      List<CloudEvent> list = batch.stream().map(Routed::event).toList();
      // the Event Grid schema has no single-event form: always an array
      byte[] body =
          eventGrid
              ? EventGridSchema.batch(list)
              : batched ? MessageEvents.batch(list) : MessageEvents.structured(list.get(0));
      RequestOptions request =
          new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setAbsoluteURI(to.endpointUrl())
              .setIdleTimeout(options.timeoutMillis())
              .putHeader(
                  "Content-Type",
                  eventGrid
                      ? EventGridSchema.CONTENT_TYPE
                      : batched ? "application/cloudevents-batch+json" : JsonFormat.CONTENT_TYPE);
      to.headers().forEach(request::putHeader);
      http.request(request)
          .compose(req -> req.send(Buffer.buffer(body)))
          .compose(resp -> resp.body().map(b -> resp.statusCode()))
          .timeout(options.timeoutMillis(), TimeUnit.MILLISECONDS)
          .onComplete(
              ar -> {
                String error =
                    ar.succeeded() ? error(ar.result()) : SERVICE_ERROR; // network, timeout
                attempted(
                    batch,
                    attempt,
                    to,
                    error,
                    ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause()));
              });
    }

    /**
     * The outcome of attempt {@code attempt} (from 0) to send {@code batch}: done, retried on the
     * schedule, or dead-lettered (spec section 6.5 and Event Grid's retry policy: a refusal at
     * once, a transient failure past {@code routing.max-delivery-attempts} or the events' time to
     * live).
     */
    private void attempted(
        List<Routed> batch, int attempt, RoutingSettings.Destination to, String error, String why) {
      if (error == null) {
        done(batch, null);
        return;
      }
      int attempts = attempt + 1;
      if (!deadLetterSink()) {
        failedHere(error, batch.size());
      }
      if (!retried(error)) {
        LOG.warn(
            "{}: {} refused ({}): {} events dead-lettered",
            label(),
            to.describe(),
            why,
            batch.size());
        end(batch, NOT_RETRIED, attempts, why);
        return;
      }
      if (attempts >= options.maxDeliveryAttempts()) {
        LOG.warn(
            "{}: {} failed ({}), attempt {} of {}: {} events dead-lettered",
            label(),
            to.describe(),
            why,
            attempts,
            options.maxDeliveryAttempts(),
            batch.size());
        end(batch, MAX_DELIVERY_ATTEMPTS, attempts, why);
        return;
      }
      String id = pendingIds.computeIfAbsent(batch, b -> java.util.UUID.randomUUID().toString());
      pending.keep(id, pendingJson(key, attempts, batch));
      // past the time to live the batch is not kept waiting for a retry it will not get
      long delay = Math.max(1, Math.min(delay(attempt), timeToLive(batch)));
      if (attempt == 0 || LOG.isDebugEnabled()) {
        LOG.info(
            "{}: {} failed ({}), {} events retried in {} ms",
            label(),
            to.describe(),
            why,
            batch.size(),
            delay);
      }
      vertx.setTimer(
          delay,
          t ->
              context.runOnContext(
                  v -> {
                    if (timeToLive(batch) <= 0) {
                      LOG.warn(
                          "{}: {} still failing ({}) at the events' time to live: {} events"
                              + " dead-lettered",
                          label(),
                          to.describe(),
                          why,
                          batch.size());
                      end(batch, TIME_TO_LIVE, attempts, why);
                    } else {
                      send(batch, attempt + 1);
                    }
                  }));
    }

    /** Milliseconds the oldest event of {@code batch} may still be retried. */
    private long timeToLive(List<Routed> batch) {
      long oldest = batch.stream().mapToLong(Routed::builtAtMillis).min().orElse(0);
      return oldest + options.eventTimeToLiveMillis() - System.currentTimeMillis();
    }

    /** The batch is not delivered here: to the dead-letter destination, or dropped, counted. */
    private void end(List<Routed> batch, String reason, int attempts, String why) {
      forgetPending(batch);
      if (deadLetterSink()) {
        dropped(DEAD_LETTER_FAILED, batch.size());
      } else {
        deadLetter(batch, reason, attempts, this, why);
      }
      release(batch.size());
      inFlight--;
      pump();
    }

    /** Events this destination ends without delivering them, counted. */
    private void lost(String error, int n) {
      if (deadLetterSink()) {
        dropped(DEAD_LETTER_FAILED, n);
      } else {
        failedHere(error, n);
      }
    }

    private void forgetPending(List<Routed> batch) {
      String id = pendingIds.remove(batch);
      if (id != null) {
        pending.forget(id);
      }
    }

    private void done(List<Routed> batch, String error) {
      forgetPending(batch);
      // counted before they leave the buffer: an empty buffer means every outcome is counted
      if (error == null) {
        if (!deadLetterSink()) {
          delivered(batch.size());
        }
      } else {
        lost(error, batch.size());
      }
      release(batch.size());
      inFlight--;
      pump();
    }
  }

  /** One JSON line per event: the CloudEvent in structured mode, or the Event Grid schema's. */
  private static byte[] jsonLines(List<Routed> batch) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Routed r : batch) {
      byte[] line =
          r.eventGridSchema()
              ? DeadLetterEvents.eventGridJson(r.event())
              : MessageEvents.structured(r.event());
      out.write(line, 0, line.length);
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * Hands undelivered events to the dead-letter destination, each wrapped in a dead-letter event
   * that says why ({@link DeadLetterEvents}); without one, or when it is full, they are dropped.
   * Counted either way, never silently.
   */
  private void deadLetter(
      List<Routed> batch, String reason, int attempts, Subscription from, String why) {
    Subscription dl = deadLetters;
    int lost = 0;
    for (Routed r : batch) {
      if (dl != null
          && dl.offer(
              new Routed(
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
        counter("mqttgrid.routing.dead.lettered.events", reason).increment();
      } else {
        lost++;
      }
    }
    if (lost > 0) {
      dropped(reason, lost);
    }
  }

  /** A destination's own counter, by its name and, for failures, the error. */
  private Counter perSubscription(String meter, String subscription, String error) {
    return counters.computeIfAbsent(
        meter + "/" + subscription + "/" + error,
        k -> {
          Counter.Builder b =
              Counter.builder(meter)
                  .description(
                      error == null
                          ? "Routed events delivered, by destination"
                          : "Routed events failed (as mqtt_failed_routed_messages), by destination"
                              + " and error")
                  .tag("Subscription", subscription);
          return (error == null ? b : b.tag("Error", error)).register(registry);
        });
  }

  /** One per failed validation handshake, whatever the destination. */
  private Counter validationFailures() {
    return counters.computeIfAbsent(
        " validation",
        k ->
            Counter.builder("mqttgrid.routing.webhook.validation.failures")
                .description("Webhook validation handshakes that failed (events wait)")
                .register(registry));
  }

  /** Whether {@code WebHook-Allowed-Origin} (one header or several, comma-separated) allows us. */
  static boolean allowed(List<String> allowedOrigins) {
    for (String header : allowedOrigins) {
      for (String origin : header.split(",")) {
        String o = origin.trim();
        if (o.equals("*") || o.equalsIgnoreCase(REQUEST_ORIGIN)) {
          return true;
        }
      }
    }
    return false;
  }

  private void dropped(String reason, int n) {
    counter("mqttgrid.routing.dropped.events", reason).increment(n);
  }

  private Counter counter(String name, String reason) {
    return counters.computeIfAbsent(
        name + "/" + reason,
        k ->
            Counter.builder(name)
                .description(
                    name.contains("dead")
                        ? "Routed events handed to the dead-letter destination, by reason"
                        : "Routed events dropped undelivered (no dead-letter destination, or it"
                            + " failed), by reason")
                .tags(Tags.of("Reason", reason))
                .register(registry));
  }

  /** The error dimension of an HTTP answer, null for a success (spec section 6.5). */
  static String error(int status) {
    if (status >= 200 && status < 300) {
      return null;
    }
    return switch (status) {
      case 404, 410 -> TOPIC_NOT_FOUND;
      case 401, 403 -> AUTHENTICATION_ERROR;
      case 429 -> TOO_MANY_REQUESTS;
      default -> status >= 500 || status == 408 ? SERVICE_ERROR : CLIENT_ERROR;
    };
  }

  static boolean retried(String error) {
    return error.equals(TOO_MANY_REQUESTS) || error.equals(SERVICE_ERROR);
  }

  /** The delay before retry {@code attempt + 1}: the schedule's, its last one repeated. */
  long delay(int attempt) {
    List<Long> d = options.retryDelaysMillis();
    return d.get(Math.min(attempt, d.size() - 1));
  }

  private Counter successful() {
    return counters.computeIfAbsent(
        "",
        k ->
            Counter.builder("mqtt.successful.routed.messages")
                .description("MQTT: Successful Routed Messages")
                .register(registry));
  }

  private void failed(String error, int n) {
    if (n == 0) {
      return;
    }
    counters
        .computeIfAbsent(
            error,
            k ->
                Counter.builder("mqtt.failed.routed.messages")
                    .description(
                        "MQTT: Failed Routed Messages, one per event and failed attempt or drop")
                    .tags(Tags.of("Error", error))
                    .register(registry))
        .increment(n);
  }

  private static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  public void close() {
    http.close();
    for (Subscription s : subscriptions) {
      s.closeKafka();
    }
  }
}
