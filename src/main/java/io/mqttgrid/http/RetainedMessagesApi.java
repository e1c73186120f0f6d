package io.mqttgrid.http;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.publish.PublishRules;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.wire.MqttPacketSize;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * The retained-message API (as Event Grid defines it, api-version 2025-11-16-preview or later):
 *
 * <ul>
 *   <li>{@code GET /mqtt/retainedMessages/message?topic=} one topic's retained payload with its
 *       metadata in {@code x-ms-mqtt-*} headers, 404 when there is none;
 *   <li>{@code GET /mqtt/retainedMessages?topicFilter=&maxResults=} or {@code ?continuationToken=}
 *       the metadata of the retained messages matching a filter, a page at a time in topic order;
 *   <li>{@code DELETE /mqtt/retainedMessages/message?topic=} (MQTT Grid's addition, for operators)
 *       removes one topic's retained message without sending anything to subscribers.
 * </ul>
 *
 * Reading needs the right to subscribe to the topic or filter, since a subscription would deliver
 * the same retained messages (Event Grid asks for an Azure role instead, which MQTT Grid does not
 * have); deleting needs the right to publish to the topic, since publishing an empty retained
 * message there deletes it too.
 */
final class RetainedMessagesApi {

  static final int DEFAULT_MAX_RESULTS = 100;
  static final int MAX_RESULTS = 100;

  /** These requests carry no body; a small one is read and ignored. */
  private static final int BODY_LIMIT = 4096;

  private final HttpServices services;
  private final BearerAuth auth;

  RetainedMessagesApi(HttpServices services) {
    this.services = services;
    this.auth = new BearerAuth(services.authenticator);
  }

  void get(RoutingContext ctx) {
    handle(
        ctx,
        (identity, query) -> {
          String topic =
              HttpPublishRequest.topic(
                  UrlText.parameter(query, "topic", "InvalidTopic"), services.limits);
          if (!services.permissions.apply(identity).canSubscribe(topic)) {
            throw ApiException.forbidden(
                "'"
                    + identity.authenticationName()
                    + "' may not subscribe to '"
                    + topic
                    + "', so it may not read its retained message");
          }
          return services
              .retained
              .get(topic)
              .map(
                  m -> {
                    if (m == null) {
                      throw ApiException.notFound("no retained message on topic '" + topic + "'");
                    }
                    var response =
                        ctx.response()
                            .setStatusCode(200)
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
                            .putHeader("x-ms-mqtt-topic", UrlText.headerSafe(m.topic()))
                            .putHeader("x-ms-mqtt-qos", String.valueOf(m.qos()))
                            .putHeader("x-ms-mqtt-size", String.valueOf(MqttPacketSize.publish(m)))
                            .putHeader("x-ms-mqtt-last-modified", time(m.createdAtMillis()));
                    if (m.expiresAtMillis() != 0) {
                      response.putHeader("x-ms-mqtt-expiry", time(m.expiresAtMillis()));
                    }
                    response.end(Buffer.buffer(m.payload()));
                    return null;
                  });
        });
  }

  void list(RoutingContext ctx) {
    handle(
        ctx,
        (identity, query) -> {
          String filterParam = UrlText.parameter(query, "topicFilter", "InvalidTopicFilter");
          String tokenParam =
              UrlText.parameter(query, "continuationToken", "InvalidContinuationToken");
          String maxParam = UrlText.parameter(query, "maxResults", "InvalidMaxResults");
          if (filterParam != null && tokenParam != null) {
            throw ApiException.badRequest(
                "ConflictingParameters",
                "give either topicFilter or continuationToken, " + "not both");
          }
          if (filterParam == null && tokenParam == null) {
            throw ApiException.badRequest(
                "InvalidTopicFilter",
                "the query parameter 'topicFilter' (or " + "'continuationToken') is required");
          }
          ContinuationToken token =
              tokenParam == null ? null : ContinuationToken.decode(tokenParam);
          String filter = token == null ? filterParam : token.filter();
          int maxResults =
              maxParam != null
                  ? maxResults(maxParam)
                  : token != null ? token.maxResults() : DEFAULT_MAX_RESULTS;
          checkFilter(filter);
          if (!services.permissions.apply(identity).canSubscribe(filter)) {
            throw ApiException.forbidden(
                "'"
                    + identity.authenticationName()
                    + "' may not subscribe to '"
                    + filter
                    + "', so it may not list its retained messages");
          }
          return services
              .retained
              .list(filter, token == null ? null : token.after(), maxResults)
              .map(
                  page -> {
                    JsonArray items = new JsonArray();
                    for (PublishedMessage m : page.messages()) {
                      items.add(
                          new JsonObject()
                              .put("topic", m.topic())
                              .put("qos", m.qos())
                              .put("size", MqttPacketSize.publish(m))
                              .put(
                                  "expiry",
                                  m.expiresAtMillis() == 0 ? null : time(m.expiresAtMillis()))
                              .put("lastModifiedTime", time(m.createdAtMillis())));
                    }
                    String next =
                        page.continueAfter() == null
                            ? null
                            : nextLink(
                                ctx.request(),
                                new ContinuationToken(filter, page.continueAfter(), maxResults),
                                query);
                    ctx.response()
                        .setStatusCode(200)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
                        .end(
                            new JsonObject()
                                .put("nextLink", next)
                                .put("retainedMessages", items)
                                .encode());
                    return null;
                  });
        });
  }

  void delete(RoutingContext ctx) {
    handle(
        ctx,
        (identity, query) -> {
          String topic =
              HttpPublishRequest.topic(
                  UrlText.parameter(query, "topic", "InvalidTopic"), services.limits);
          if (!services.permissions.apply(identity).canPublish(topic)) {
            throw ApiException.forbidden(
                "'"
                    + identity.authenticationName()
                    + "' may not publish to '"
                    + topic
                    + "', so it may not delete its retained message");
          }
          return services
              .retained
              .remove(topic)
              .map(
                  existed -> {
                    if (!existed) {
                      throw ApiException.notFound("no retained message on topic '" + topic + "'");
                    }
                    ctx.response().setStatusCode(204).end();
                    return null;
                  });
        });
  }

  private interface Operation {
    Future<Void> run(ClientIdentity identity, Map<String, byte[]> query);
  }

  private void handle(RoutingContext ctx, Operation operation) {
    HttpServerRequest request = ctx.request();
    ApiResponses.readBody(request, BODY_LIMIT)
        .compose(body -> auth.authenticate(request))
        .compose(
            identity -> {
              Map<String, byte[]> query = UrlText.queryParameters(request.query());
              ApiVersions.require(
                  UrlText.parameter(query, "api-version", "UnsupportedApiVersion"),
                  ApiVersions.RETAINED_SINCE);
              return operation.run(identity, query);
            })
        .onFailure(e -> ApiResponses.fail(ctx, e));
  }

  private void checkFilter(String filter) {
    Topics.Check check =
        Topics.checkFilter(
            filter, services.limits.maxTopicLength(), services.limits.maxTopicLevels());
    if (check == Topics.Check.OK && filter.startsWith(Topics.SHARE_PREFIX)) {
      check = Topics.Check.BAD_SHARE;
    }
    if (check != Topics.Check.OK) {
      throw ApiException.badRequest(
          "InvalidTopicFilter",
          "topic filter '"
              + PublishRules.printable(filter)
              + "' is not valid: "
              + PublishRules.describe(check, services.limits));
    }
  }

  private static int maxResults(String value) {
    int n = value.matches("[0-9]{1,3}") ? Integer.parseInt(value) : -1;
    if (n < 1 || n > MAX_RESULTS) {
      throw ApiException.badRequest(
          "InvalidMaxResults",
          "maxResults must be a whole number from 1 to "
              + MAX_RESULTS
              + ", got '"
              + PublishRules.printable(value)
              + "'");
    }
    return n;
  }

  /**
   * The absolute URL of the next page, on the host and scheme the caller used (a load balancer's,
   * say).
   */
  private static String nextLink(
      HttpServerRequest request, ContinuationToken token, Map<String, byte[]> query) {
    String version = new String(query.get("api-version"), StandardCharsets.UTF_8);
    String proto = request.getHeader("X-Forwarded-Proto");
    String scheme =
        "https".equalsIgnoreCase(proto) || "http".equalsIgnoreCase(proto)
            ? proto.toLowerCase(java.util.Locale.ROOT)
            : request.scheme();
    String authority = request.authority() == null ? "localhost" : request.authority().toString();
    return scheme
        + "://"
        + authority
        + request.path()
        + "?continuationToken="
        + token.encode()
        + "&api-version="
        + URLEncoder.encode(version, StandardCharsets.UTF_8);
  }

  /** ISO-8601 in UTC to the second, as Event Grid shows these times. */
  private static String time(long millis) {
    return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
