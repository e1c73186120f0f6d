package io.mqttgrid.events;

import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.mqttgrid.access.ClientIdentity;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every accepted message, as a CloudEvent, to the namespace's webhook (spec section 6): the
 * CloudEvents HTTP binding in structured mode, or batched mode when the destination allows more
 * than one event per request.
 *
 * <p>At least once, off the publish path: {@link #accepted} builds the event and puts it in a
 * bounded in-memory buffer of this node (past {@code routing.buffer-events}, the event is dropped
 * and counted); one Vert.x context sends from it, a few requests at a time, and retries a failed
 * request on the configured schedule (spec section 6.5: 429, 5xx and network errors), keeping its
 * events in the buffer meanwhile. A destination that is gone (404) or refuses the broker (401,
 * 403), or rejects the events (other 4xx), drops them, counted. The buffer does not survive the
 * node: durable routing state is not here yet.
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

  /** Node-level options: the buffer, the retry schedule, the HTTP client. */
  public record Options(
      int bufferEvents,
      int maxRequestsInFlight,
      List<Long> retryDelaysMillis,
      long timeoutMillis,
      String trustedCaFile) {
    public Options {
      retryDelaysMillis = List.copyOf(retryDelaysMillis);
      if (retryDelaysMillis.isEmpty()) {
        throw new IllegalArgumentException("at least one retry delay");
      }
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

  /** Events built and not yet delivered or dropped: waiting, in flight or waiting for a retry. */
  private final AtomicInteger held = new AtomicInteger();

  private final ConcurrentLinkedQueue<Routed> waiting = new ConcurrentLinkedQueue<>();

  /**
   * An event and the schema it goes in: a CloudEvent, or (life-cycle events only) the Event Grid
   * schema. One request holds events of one schema.
   */
  private record Routed(CloudEvent event, boolean eventGridSchema) {}

  private final AtomicBoolean pumpScheduled = new AtomicBoolean();

  /** Touched on {@link #context} only. */
  private int inFlight;

  public WebhookRouting(
      Vertx vertx, String namespaceName, Options options, MeterRegistry registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.events = new MessageEvents(namespaceName);
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

  /** Follows the namespace settings: the destination and the enrichments. */
  public void update(RoutingSettings routing) {
    RoutingSettings before = settings;
    settings = routing;
    if (!java.util.Objects.equals(before.destination(), routing.destination())) {
      LOG.info(
          "routing of messages {}",
          routing.destination() == null ? "off" : "to " + routing.destination().endpointUrl());
    }
    if (clientLifecycleEventsOn(before) != clientLifecycleEventsOn(routing)) {
      LOG.info("client life-cycle events {}", clientLifecycleEventsOn(routing) ? "on" : "off");
    }
  }

  private static boolean clientLifecycleEventsOn(RoutingSettings r) {
    return r.destination() != null && r.clientLifecycleEvents();
  }

  @Override
  public void accepted(PublishedMessage message, ClientIdentity publisher) {
    RoutingSettings now = settings;
    if (now.destination() == null) {
      return;
    }
    if (!reserve()) {
      return;
    }
    enqueue(new Routed(events.event(message, publisher, now.enrichments()), false));
  }

  @Override
  public boolean clientLifecycleEventsOn() {
    return clientLifecycleEventsOn(settings);
  }

  /**
   * Sends a life-cycle event (spec section 7) the way a routed message goes: same buffer, same
   * retries, same counters. Dropped when routing is off.
   */
  @Override
  public void offer(CloudEvent event) {
    RoutingSettings now = settings;
    if (now.destination() == null || !reserve()) {
      return;
    }
    enqueue(new Routed(event, now.lifecycleEventGridSchema()));
  }

  /** Takes a place in the buffer; false (counted) when it is full. */
  private boolean reserve() {
    if (held.incrementAndGet() > options.bufferEvents()) {
      held.decrementAndGet();
      failed(BUFFER_FULL, 1);
      return false;
    }
    return true;
  }

  private void enqueue(Routed event) {
    waiting.add(event);
    if (pumpScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> pump());
    }
  }

  /**
   * Completes once {@code noMoreEvents} holds and the buffer is empty (delivered or dropped), or
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
    if (settings.destination() == null
        || (noMoreEvents.getAsBoolean() && held.get() == 0)
        || System.currentTimeMillis() >= until) {
      done.complete();
    } else {
      vertx.setTimer(50, t -> checkDrained(done, until, noMoreEvents));
    }
  }

  /** Events held now: waiting, in flight, or waiting for a retry. */
  public int held() {
    return held.get();
  }

  private void pump() {
    pumpScheduled.set(false);
    while (inFlight < options.maxRequestsInFlight() && !waiting.isEmpty()) {
      RoutingSettings.Destination destination = settings.destination();
      if (destination == null) {
        // routing turned off: what waits is dropped, counted
        int n = drain(Integer.MAX_VALUE).size();
        failed(TOPIC_NOT_FOUND, n);
        held.addAndGet(-n);
        return;
      }
      List<Routed> batch = drain(destination.maxEventsPerBatch());
      inFlight++;
      send(batch, 0);
    }
  }

  /**
   * Up to {@code max} waiting events of the schema of the first; this context is the only taker.
   */
  private List<Routed> drain(int max) {
    List<Routed> batch = new ArrayList<>();
    Routed e;
    while (batch.size() < max
        && (e = waiting.peek()) != null
        && (batch.isEmpty() || e.eventGridSchema() == batch.get(0).eventGridSchema())) {
      batch.add(waiting.poll());
    }
    return batch;
  }

  /** Sends {@code batch} (attempt {@code attempt}, from 0), then retries or ends it. */
  private void send(List<Routed> batch, int attempt) {
    RoutingSettings.Destination destination = settings.destination();
    if (destination == null) {
      done(batch, TOPIC_NOT_FOUND);
      return;
    }
    boolean eventGrid = batch.get(0).eventGridSchema();
    boolean batched = destination.maxEventsPerBatch() > 1;
    List<CloudEvent> events = batch.stream().map(Routed::event).toList();
    // the Event Grid schema has no single-event form: always an array
    byte[] body =
        eventGrid
            ? EventGridSchema.batch(events)
            : batched ? MessageEvents.batch(events) : MessageEvents.structured(events.get(0));
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(destination.endpointUrl())
            .setIdleTimeout(options.timeoutMillis())
            .putHeader(
                "Content-Type",
                eventGrid
                    ? EventGridSchema.CONTENT_TYPE
                    : batched ? "application/cloudevents-batch+json" : JsonFormat.CONTENT_TYPE);
    http.request(request)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .timeout(options.timeoutMillis(), TimeUnit.MILLISECONDS)
        .onComplete(
            ar -> {
              String error =
                  ar.succeeded() ? error(ar.result()) : SERVICE_ERROR; // network, timeout
              if (error == null) {
                done(batch, null);
              } else if (retried(error)) {
                failed(error, batch.size());
                long delay = delay(attempt);
                if (attempt == 0 || LOG.isDebugEnabled()) {
                  LOG.info(
                      "routing webhook {} failed ({}), {} events retried in {} ms",
                      destination.endpointUrl(),
                      ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause()),
                      batch.size(),
                      delay);
                }
                vertx.setTimer(delay, t -> context.runOnContext(v -> send(batch, attempt + 1)));
              } else {
                LOG.warn(
                    "routing webhook {} answered HTTP {}: {} events dropped",
                    destination.endpointUrl(),
                    ar.result(),
                    batch.size());
                done(batch, error);
              }
            });
  }

  private void done(List<Routed> batch, String error) {
    // counted before they leave the buffer: an empty buffer means every outcome is counted
    if (error == null) {
      successful().increment(batch.size());
    } else {
      failed(error, batch.size());
    }
    held.addAndGet(-batch.size());
    inFlight--;
    pump();
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
  }
}
