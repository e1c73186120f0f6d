package io.mqttgrid.events;

import io.cloudevents.jackson.JsonFormat;
import io.mqttgrid.access.EventSubscription;
import io.mqttgrid.access.RoutingSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP side of webhook destinations: a batch as one request (the CloudEvents HTTP binding,
 * structured or batched mode, or the Event Grid schema's array), and the validation handshake. One
 * HTTP client for all the webhooks of the node, trusting {@code routing.trusted-ca-file} for https.
 */
final class WebhookSender {

  /**
   * The {@code WebHook-Request-Origin} of the validation handshake: who sends the events (Event
   * Grid sends {@code eventgrid.azure.net}); one fixed name a receiver can allow.
   */
  static final String REQUEST_ORIGIN = "mqttgrid";

  /** Endpoints taken apart kept at most: a node has a few destinations, and each one endpoint. */
  private static final int MAX_TARGETS = 1024;

  private final Vertx vertx;
  private final HttpClient http;
  private final long timeoutMillis;
  private final Map<String, WebhookTarget> targets = new ConcurrentHashMap<>();

  /**
   * @param maxRequestsInFlight the requests one destination may have under way ({@code
   *     routing.max-requests-in-flight})
   */
  WebhookSender(Vertx vertx, long timeoutMillis, String trustedCaFile, int maxRequestsInFlight) {
    this.vertx = vertx;
    this.timeoutMillis = timeoutMillis;
    HttpClientOptions client =
        new HttpClientOptions().setConnectTimeout((int) Math.min(timeoutMillis, Integer.MAX_VALUE));
    if (!trustedCaFile.isEmpty()) {
      client.setTrustOptions(new PemTrustOptions().addCertPath(trustedCaFile));
    }
    // the connection pool is per server (host and port), which several destinations may share (one
    // receiver, a path each): sized so that each destination's requests in flight are its only
    // bound, and one whose requests hang cannot hold the connections another needs (Vert.x's
    // default is 5 per server)
    PoolOptions pool =
        new PoolOptions()
            .setHttp1MaxSize(maxRequestsInFlight * (EventSubscription.MAX_SUBSCRIPTIONS + 2));
    this.http = vertx.createHttpClient(client, pool);
  }

  /**
   * Posts {@code batch} (events of one schema) to the webhook {@code to}: the answer's status, or a
   * failure (network, {@code routing.timeout-ms}). The timeout bounds the whole exchange, from
   * taking a connection to the answer's last byte; when it passes, the request is reset, which
   * closes its connection: one that still trickles an answer would otherwise stay taken.
   */
  Future<Integer> post(RoutingSettings.Destination to, List<RoutedEvent> batch) {
    boolean eventGrid = batch.get(0).eventGridSchema();
    boolean batched = to.maxEventsPerBatch() > 1;
    Buffer body = bodyBuffer(batch, eventGrid || batched);
    RequestOptions request =
        target(to.endpointUrl())
            .request(HttpMethod.POST)
            .putHeader(
                "Content-Type",
                eventGrid
                    ? EventGridSchema.CONTENT_TYPE
                    : batched ? "application/cloudevents-batch+json" : JsonFormat.CONTENT_TYPE);
    to.headers().forEach(request::putHeader);
    return new Exchange().post(request, body);
  }

  /**
   * One request under one timer: the deadline fails the answer and resets the request, the answer
   * cancels the deadline. (Vert.x's idle timeout and a future's timeout were two timers a request,
   * and the idle one restarts with every byte received.)
   */
  private final class Exchange {
    private final Promise<Integer> answer = Promise.promise();
    // written and read on the caller's context, where the request's futures and the timer run;
    // volatile for a caller off any context
    private volatile HttpClientRequest sent;

    Future<Integer> post(RequestOptions request, Buffer body) {
      long deadline = vertx.setTimer(timeoutMillis, id -> timedOut());
      http.request(request)
          .compose(
              req -> {
                sent = req;
                if (answer.future().isComplete()) {
                  // the deadline passed while a connection was being taken
                  req.reset();
                  return Future.failedFuture("timed out");
                }
                return req.send(body);
              })
          .compose(resp -> resp.body().map(b -> resp.statusCode()))
          .onComplete(
              ar -> {
                vertx.cancelTimer(deadline);
                if (ar.succeeded()) {
                  answer.tryComplete(ar.result());
                } else {
                  answer.tryFail(ar.cause());
                }
              });
      return answer.future();
    }

    private void timedOut() {
      if (answer.tryFail(new TimeoutException("no answer within " + timeoutMillis + " ms"))
          && sent != null) {
        sent.reset();
      }
    }
  }

  /** {@code endpointUrl} taken apart, once per endpoint. */
  private WebhookTarget target(String endpointUrl) {
    WebhookTarget known = targets.get(endpointUrl);
    if (known != null) {
      return known;
    }
    if (targets.size() >= MAX_TARGETS) {
      // endpoints changed many times over: those in use are taken apart again
      targets.clear();
    }
    WebhookTarget parsed = WebhookTarget.of(endpointUrl);
    targets.put(endpointUrl, parsed);
    return parsed;
  }

  /**
   * A request's body: the events' JSON as each was written once ({@link RoutedEvent#json}), in an
   * array when {@code array} (batched mode; the Event Grid schema has no single-event form), else
   * the one event in structured mode.
   */
  static byte[] body(List<RoutedEvent> batch, boolean array) {
    return array ? EventBatches.jsonArray(batch) : batch.get(0).json();
  }

  /** {@link #body}, the events' JSON copied once, into the request's buffer. */
  private static Buffer bodyBuffer(List<RoutedEvent> batch, boolean array) {
    if (!array) {
      return Buffer.buffer(batch.get(0).json());
    }
    int size = 1 + batch.size(); // brackets and commas
    for (RoutedEvent r : batch) {
      size += r.json().length;
    }
    Buffer body = Buffer.buffer(size).appendByte((byte) '[');
    for (int i = 0; i < batch.size(); i++) {
      if (i > 0) {
        body.appendByte((byte) ',');
      }
      body.appendBytes(batch.get(i).json());
    }
    return body.appendByte((byte) ']');
  }

  /**
   * What the validation handshake came to.
   *
   * @param failure null when it passed, else why not (with a callback offered: that the answer
   *     withheld the permission, which the callback may still give)
   * @param allowedRate the requests per minute the receiver allows, 0 for no limit
   */
  record Answer(String failure, int allowedRate) {}

  /**
   * The CloudEvents HTTP webhook abuse protection handshake (CloudEvents 1.0, HTTP 1.1 Web Hooks
   * for Event Delivery, section 4), as Event Grid does it for CloudEvents subscriptions: an OPTIONS
   * request with {@code WebHook-Request-Origin}, answered 200 with that origin (or {@code *}) in
   * {@code WebHook-Allowed-Origin}, and a {@code WebHook-Allowed-Rate}. Hand-written: the
   * CloudEvents SDK has no sender side of it, and it is one request.
   *
   * @param callbackUrl the {@code WebHook-Request-Callback} to offer, or null
   * @param requestRate the {@code WebHook-Request-Rate} to ask for, 0: none asked
   * @return never a failed future
   */
  Future<Answer> handshake(RoutingSettings.Destination to, String callbackUrl, int requestRate) {
    RequestOptions request =
        target(to.endpointUrl())
            .request(HttpMethod.OPTIONS)
            .setIdleTimeout(timeoutMillis)
            .putHeader("WebHook-Request-Origin", REQUEST_ORIGIN);
    if (callbackUrl != null) {
      request.putHeader("WebHook-Request-Callback", callbackUrl);
    }
    if (requestRate > 0) {
      request.putHeader("WebHook-Request-Rate", Integer.toString(requestRate));
    }
    // the shared secret too: a receiver that checks it on every request lets the handshake in
    to.headers().forEach(request::putHeader);
    return http.request(request)
        .compose(req -> req.send())
        .compose(
            resp ->
                resp.body()
                    .map(
                        b -> {
                          if (resp.statusCode() == 200
                              && allowed(resp.headers().getAll("WebHook-Allowed-Origin"))) {
                            return new Answer(
                                null,
                                allowedRate(
                                    resp.headers().get("WebHook-Allowed-Rate"), requestRate));
                          }
                          String answer =
                              resp.statusCode() != 200
                                  ? "HTTP " + resp.statusCode()
                                  : "no WebHook-Allowed-Origin: " + REQUEST_ORIGIN;
                          return new Answer(
                              callbackUrl == null
                                  ? answer
                                  : "waiting for the callback (" + answer + ")",
                              0);
                        }))
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .recover(e -> Future.succeededFuture(new Answer(RoutingErrors.describe(e), 0)));
  }

  /**
   * The requests per minute {@code WebHook-Allowed-Rate} allows, 0 for no limit ({@code *}); when
   * the receiver sent none (or one that is no positive number), the rate asked for ({@code
   * requested}, 0 when none was): the sender keeps to what it asked.
   */
  static int allowedRate(String header, int requested) {
    if (header == null) {
      return requested;
    }
    String h = header.trim();
    if (h.equals("*")) {
      return 0;
    }
    try {
      int rate = Integer.parseInt(h);
      return rate > 0 ? rate : requested;
    } catch (NumberFormatException e) {
      return requested;
    }
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

  void close() {
    http.close();
  }
}
