package io.mqttgrid.console;

import static io.mqttgrid.http.ManagementErrors.error;

import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Topics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The console's retained-messages page: the operator's view of them, and their deletion. */
final class RetainedMessagesApi {

  private static final Logger LOG = LoggerFactory.getLogger(RetainedMessagesApi.class);

  private static final int DEFAULT_RETAINED_PAGE = 50;
  private static final int MAX_RETAINED_PAGE = 100;

  private final RetainedStore retained;

  RetainedMessagesApi(RetainedStore retained) {
    this.retained = retained;
  }

  /**
   * The retained messages matching {@code filter} (default {@code #}), {@code top} at a time in
   * topic order after {@code after}, with their payloads (base64) and properties: the operator's
   * view, which the public retained-message API on the HTTP port leaves to clients with the right
   * to subscribe.
   */
  void list(RoutingContext ctx) {
    ctx.request().resume();
    String filter = ctx.request().getParam("filter", "#");
    if (Topics.checkFilter(filter, Integer.MAX_VALUE, Integer.MAX_VALUE) != Topics.Check.OK
        || filter.startsWith(Topics.SHARE_PREFIX)) {
      error(ctx, 400, "InvalidRequest", "filter: not a valid MQTT topic filter", "filter");
      return;
    }
    int top;
    try {
      top = Integer.parseInt(ctx.request().getParam("top", String.valueOf(DEFAULT_RETAINED_PAGE)));
      if (top < 1 || top > MAX_RETAINED_PAGE) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "InvalidRequest", "top: an integer from 1 to " + MAX_RETAINED_PAGE, "top");
      return;
    }
    retained
        .list(filter, ctx.request().getParam("after"), top)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console retained list failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the retained messages could not be read", null);
                return;
              }
              JsonArray value = new JsonArray();
              for (PublishedMessage m : ar.result().messages()) {
                value.add(retainedJson(m));
              }
              ctx.json(
                  new JsonObject()
                      .put("value", value)
                      .put("continueAfter", ar.result().continueAfter()));
            });
  }

  private static JsonObject retainedJson(PublishedMessage m) {
    JsonArray userProperties = new JsonArray();
    for (PublishedMessage.UserProperty p : m.userProperties()) {
      userProperties.add(new JsonObject().put("name", p.name()).put("value", p.value()));
    }
    return new JsonObject()
        .put("topic", m.topic())
        .put("qos", m.qos())
        .put("payload", Base64.getEncoder().encodeToString(m.payload()))
        .put("payloadSize", m.payload().length)
        .put("payloadFormatIndicator", m.payloadFormat() < 0 ? null : m.payloadFormat())
        .put("contentType", m.contentType())
        .put("responseTopic", m.responseTopic())
        .put(
            "correlationData",
            m.correlationData() == null
                ? null
                : Base64.getEncoder().encodeToString(m.correlationData()))
        .put("userProperties", userProperties)
        .put("publisherClientId", m.publisherClientId())
        .put("createdAt", Instant.ofEpochMilli(m.createdAtMillis()).toString())
        .put(
            "expiresAt",
            m.expiresAtMillis() > 0 ? Instant.ofEpochMilli(m.expiresAtMillis()).toString() : null);
  }

  /**
   * Deletes one topic's retained message; subscribers are not told (as an empty retained publish
   * would not either).
   */
  void delete(RoutingContext ctx) {
    ctx.request().resume();
    String topic = ctx.request().getParam("topic");
    if (Topics.checkName(topic, Integer.MAX_VALUE, Integer.MAX_VALUE) != Topics.Check.OK) {
      error(ctx, 400, "InvalidRequest", "topic: required, a topic name (no wildcards)", "topic");
      return;
    }
    retained
        .remove(topic)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn("console retained delete failed: {}", ar.cause().toString());
                error(ctx, 500, "InternalError", "the retained message could not be deleted", null);
                return;
              }
              if (ar.result()) {
                LOG.info("retained message of '{}' deleted through the management API", topic);
              }
              // as the model's resources: 200 when something was deleted, 204 when nothing was
              ctx.response().setStatusCode(ar.result() ? 200 : 204).end();
            });
  }
}
