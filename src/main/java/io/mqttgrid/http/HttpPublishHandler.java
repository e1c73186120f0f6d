package io.mqttgrid.http;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.mqtt.MqttMetrics;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishRefusal;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.wire.ReasonCode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /mqtt/messages} (Event Grid's HTTP publish API): an MQTT publish by an HTTP caller,
 * the HTTP adapter of the publish pipeline. In order: the body is read within the maximum packet
 * size (413), the bearer token authenticated (401), the caller's rate checked (429), the request
 * read into the MQTT message it stands for ({@link HttpPublishRequest}, 400), and the message
 * handed to the {@link PublishPipeline}, which judges it, checks the caller's publish right on the
 * topic and routes it; its refusals are answered as {@link PublishRefusal} says (400, 403, 413).
 * The answer is 204 once routing is done with the message, which for QoS 1 is the point at which an
 * MQTT publisher gets its PUBACK: every matching persistent session holds the message. MQTT Grid
 * never answers 202: no part of the work goes on after the answer, apart from sending the message
 * to connected subscribers, which at QoS 0 is at most once by definition.
 *
 * <p>Routing runs right here, on the event loop the request arrived on, as it does for an MQTT
 * publish: the pipeline is thread-safe and its routing completes on its caller's context. Not over
 * a node-local event-bus address with a consumer per HTTP verticle: a point-to-point send picks one
 * of those round robin, which moves most publishes to another event loop and back, and buys
 * nothing.
 *
 * <p>Each request is counted in Event Grid's publish metrics with Protocol {@code http-publish}
 * (Event Grid's HTTP publish metrics), as an MQTT PUBLISH with the same outcome would be.
 */
final class HttpPublishHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(HttpPublishHandler.class);

  private final Vertx vertx;
  private final HttpServices services;
  private final BearerAuth auth;
  private final MqttMetrics metrics;

  HttpPublishHandler(Vertx vertx, HttpServices services, MqttMetrics metrics) {
    this.vertx = vertx;
    this.services = services;
    this.auth = new BearerAuth(services.authenticator);
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long receivedNanos = System.nanoTime();
    HttpServerRequest request = ctx.request();
    Map<String, byte[]> query = UrlText.queryParameters(request.query());
    ApiResponses.readBody(request, services.limits.maxPacketSize())
        .compose(
            body -> {
              metrics.httpPublishReceived(body.length());
              return auth.authenticate(request)
                  .compose(identity -> publish(identity, request, query, body.getBytes()));
            })
        .onSuccess(
            qos -> {
              count(204, qos, ReasonCode.SUCCESS, receivedNanos);
              ctx.response().setStatusCode(204).end();
            })
        .onFailure(
            e -> {
              int status = ApiResponses.fail(ctx, e);
              count(status, requestedQos(request, query), refusal(status), receivedNanos);
            });
  }

  /**
   * The QoS of the message once routing confirmed it, or a failed future with an {@link
   * ApiException}.
   */
  private Future<Integer> publish(
      ClientIdentity identity, HttpServerRequest request, Map<String, byte[]> query, byte[] body) {
    String name = identity.authenticationName();
    long wait = services.publishRate.tryAcquire(name);
    if (wait > 0) {
      return Future.failedFuture(
          ApiException.of(
                  PublishRefusal.QUOTA_EXCEEDED,
                  "more than the allowed HTTP " + "publishes per second for '" + name + "'")
              .header("Retry-After", String.valueOf(wait)));
    }
    HttpPublishRequest publish =
        HttpPublishRequest.read(request::getHeader, query, body, services.limits);
    PublishPipeline.Result result =
        services.publishes.publish(
            PublishSource.http(identity, () -> services.permissions.apply(identity)), publish);
    if (result instanceof PublishPipeline.Refused refused) {
      return Future.failedFuture(ApiException.refused(refused));
    }
    PublishPipeline.Routed routed = (PublishPipeline.Routed) result;
    PublishedMessage message = routed.message();
    return confirmed(routed.reached())
        .map(
            reached -> {
              LOG.debug(
                  "http publish {} by '{}' to '{}' at QoS {}{}: {} subscribers",
                  message.id(),
                  name,
                  message.topic(),
                  message.qos(),
                  message.retain() ? " retained" : "",
                  reached);
              return message.qos();
            });
  }

  /** Routing's confirmation, or its failure, within http.publish-timeout. */
  private Future<Integer> confirmed(Future<Integer> routed) {
    Promise<Integer> answer = Promise.promise();
    long timer =
        vertx.setTimer(
            services.publishTimeoutMillis,
            id ->
                answer.tryFail(
                    ApiException.of(
                        PublishRefusal.ROUTING_FAILED,
                        "routing did not confirm the message within "
                            + services.publishTimeoutMillis / 1000
                            + " s")));
    routed.onComplete(
        ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            answer.tryComplete(ar.result());
          } else {
            PublishRefusal refusal = PublishRefusal.ofRoutingFailure(ar.cause());
            answer.tryFail(
                ApiException.of(
                    refusal,
                    switch (refusal) {
                      case SUBSCRIBERS_FULL -> ar.cause().getMessage();
                      case STORE_UNAVAILABLE ->
                          "the state database is unavailable; the message was not stored, try"
                              + " again later";
                      default -> "the message could not be routed: " + ar.cause();
                    }));
          }
        });
    return answer.future();
  }

  private void count(int status, int qos, ReasonCode outcome, long receivedNanos) {
    metrics
        .registry()
        .counter("mqttgrid.http.publish", "status", String.valueOf(status))
        .increment();
    metrics.httpPublished(qos, outcome, receivedNanos);
  }

  /**
   * The MQTT reason code an MQTT publisher would get for what the HTTP status says; it gives the
   * Error dimension (AuthenticationError, AuthorizationError, QuotaExceeded, ClientError,
   * ServiceError).
   */
  static ReasonCode refusal(int status) {
    return switch (status) {
      case 401 -> ReasonCode.BAD_USER_NAME_OR_PASSWORD;
      case 403 -> ReasonCode.NOT_AUTHORIZED;
      case 413 -> ReasonCode.PACKET_TOO_LARGE;
      case 429 -> ReasonCode.QUOTA_EXCEEDED;
      case 503 -> ReasonCode.SERVER_UNAVAILABLE;
      default -> status >= 500 ? ReasonCode.UNSPECIFIED_ERROR : ReasonCode.MALFORMED_PACKET;
    };
  }

  /**
   * The QoS a refused request asked for, for the QoS dimension: what its query or header says when
   * that is a QoS, else the default, 1. A request refused before its QoS was read still asked for
   * one.
   */
  private int requestedQos(HttpServerRequest request, Map<String, byte[]> query) {
    byte[] fromQuery = query.get("qos");
    String value =
        fromQuery != null
            ? new String(fromQuery, StandardCharsets.ISO_8859_1)
            : request.getHeader(HttpPublishRequest.QOS_HEADER);
    return switch (value == null ? "" : value.trim()) {
      case "0" -> 0;
      case "2" -> services.limits.maxQos() >= 2 ? 2 : 1;
      default -> Math.min(1, services.limits.maxQos());
    };
  }
}
