package io.mqttgrid.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /mqtt/messages} (spec section 5): an MQTT publish by an HTTP caller. In order: the body is read
 * within the maximum packet size (413), the bearer token authenticated (401), the caller's rate checked
 * (429), the request mapped to an MQTT message (400, or 403 for a '$' topic), the caller's publish right on
 * the topic checked (403), and the message handed to routing over {@link PublishBus}. The answer is 204 once
 * routing is done with it, which for QoS 1 is the point at which an MQTT publisher gets its PUBACK: every
 * matching persistent session holds the message. MQTT Grid never answers 202: no part of the work goes on
 * after the answer, apart from sending the message to connected subscribers, which at QoS 0 is at most once
 * by definition.
 */
final class HttpPublishHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(HttpPublishHandler.class);

  private final Vertx vertx;
  private final HttpServices services;
  private final BearerAuth auth;
  private final MeterRegistry metrics;

  HttpPublishHandler(Vertx vertx, HttpServices services, MeterRegistry metrics) {
    this.vertx = vertx;
    this.services = services;
    this.auth = new BearerAuth(services.authenticator);
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    ApiResponses.readBody(request, services.limits.maxPacketSize())
        .compose(body -> auth.authenticate(request).compose(identity -> {
          long wait = services.publishRate.tryAcquire(identity.authenticationName());
          if (wait > 0) {
            return Future.failedFuture(new ApiException(429, "TooManyRequests", "more than the allowed HTTP "
                + "publishes per second for '" + identity.authenticationName() + "'")
                .header("Retry-After", String.valueOf(wait)));
          }
          HttpPublishRequest publish = HttpPublishRequest.parse(request::getHeader,
              UrlText.queryParameters(request.query()), body.getBytes(), services.limits);
          return publish(identity, publish);
        }))
        .onSuccess(reached -> {
          count(204);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(e -> count(ApiResponses.fail(ctx, e)));
  }

  private Future<Integer> publish(ClientIdentity identity, HttpPublishRequest publish) {
    if (!services.permissions.apply(identity).canPublish(publish.topic())) {
      return Future.failedFuture(ApiException.forbidden("'" + identity.authenticationName()
          + "' may not publish to '" + publish.topic() + "': the topic matches no topic space it publishes to"));
    }
    PublishedMessage message = publish.toMessage(services.publisher.newMessageId(), identity.authenticationName(),
        System.currentTimeMillis());
    return PublishBus.publish(vertx, message).onSuccess(reached -> LOG.debug(
        "http publish {} by '{}' to '{}' at QoS {}{}: {} subscribers", message.id(), identity.authenticationName(),
        message.topic(), message.qos(), message.retain() ? " retained" : "", reached));
  }

  private void count(int status) {
    metrics.counter("mqttgrid.http.publish", "status", String.valueOf(status)).increment();
  }
}
