package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;

import io.mqttgrid.persistence.PersistenceException;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.session.Session;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SUBSCRIBEs and UNSUBSCRIBEs a client sends: each filter checked (shared subscriptions,
 * rights, the per-request and per-session limits), the session's subscriptions changed and saved,
 * the SUBACK or UNSUBACK sent once saved, and the retained messages a new subscription asks for
 * delivered after its SUBACK.
 */
final class SubscriptionRequests {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionRequests.class);

  private final MqttConnection connection;
  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final MqttMetrics.ConnectionMeters metrics;
  private final RateLimiter subscribeRate;

  /**
   * The last retained-message lookup of this connection: each waits for the one before, so that the
   * retained messages of one SUBSCRIBE go out before those of the next (the lookups are
   * asynchronous store queries that would otherwise answer in any order).
   */
  private Future<?> retainedInOrder = Future.succeededFuture();

  SubscriptionRequests(
      MqttConnection connection,
      MqttEndpoint endpoint,
      MqttServices services,
      ProtocolAdapter protocol,
      MqttMetrics.ConnectionMeters metrics) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.services = services;
    this.limits = services.limits();
    this.protocol = protocol;
    this.metrics = metrics;
    this.subscribeRate =
        limits.subscribeRate() <= 0
            ? RateLimiter.UNLIMITED
            : new RateLimiter(
                limits.subscribeRate(), () -> metrics.throttled(MqttMetrics.THROTTLE_SUBSCRIBE));
  }

  void onSubscribe(MqttSubscribeMessage m) {
    connection.touch();
    Session session = connection.session();
    if (session == null) {
      return;
    }
    List<MqttTopicSubscription> requested = m.topicSubscriptions();
    MqttProperties props = m.properties() == null ? MqttProperties.NO_PROPERTIES : m.properties();
    Integer subscriptionId = intProperty(props, MqttProperties.SUBSCRIPTION_IDENTIFIER);
    if (subscriptionId != null && subscriptionId == 0) {
      connection.disconnect(
          ReasonCode.PROTOCOL_ERROR); // MQTT-3.8.2.1.2: 0 is not a valid identifier
      return;
    }
    if (!connection.rights().current()) {
      return; // a change of the model that reached this node after the rights were taken ended the
      // connection
    }
    List<ReasonCode> codes = new ArrayList<>(requested.size());
    List<Subscription> granted = new ArrayList<>();
    List<Boolean> existed = new ArrayList<>();
    boolean overLimit =
        requested.size() > limits.maxFiltersPerSubscribe() || !subscribeRate.tryTake(1);
    for (MqttTopicSubscription t : requested) {
      String filter = t.topicName();
      Topics.Check check =
          Topics.checkFilter(filter, limits.maxTopicLength(), limits.maxTopicLevels());
      boolean shared = filter != null && filter.startsWith(Topics.SHARE_PREFIX);
      if (shared && !protocol.sharedSubscriptionsAvailable()) {
        // shared subscriptions are MQTT 5 only (as in Event Grid); a v3.1.1 client using one is
        // disconnected
        LOG.info(
            "client {}: shared subscription '{}' over MQTT 3.1.1, disconnecting",
            connection.clientId(),
            filter);
        connection.disconnect(ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED);
        return;
      }
      if (shared && t.subscriptionOption().isNoLocal()) {
        connection.disconnect(ReasonCode.PROTOCOL_ERROR); // MQTT-3.8.3-4
        return;
      }
      if (overLimit) {
        codes.add(ReasonCode.QUOTA_EXCEEDED);
        continue;
      }
      if (check != Topics.Check.OK) {
        codes.add(ReasonCode.TOPIC_FILTER_INVALID);
        continue;
      }
      if (!connection.rights().permissions().canSubscribe(filter)) {
        LOG.info(
            "client {}: topic filter '{}' does not match any topic space",
            connection.clientId(),
            filter);
        codes.add(ReasonCode.NOT_AUTHORIZED);
        continue;
      }
      if (!session.hasSubscription(filter)
          && session.subscriptionCount() + granted.size() >= limits.maxSubscriptionsPerSession()) {
        codes.add(ReasonCode.QUOTA_EXCEEDED);
        continue;
      }
      int qos = Math.min(t.qualityOfService().value(), limits.maxQos());
      Subscription s =
          new Subscription(
              filter,
              qos,
              t.subscriptionOption().isNoLocal(),
              t.subscriptionOption().isRetainAsPublished(),
              t.subscriptionOption().retainHandling().value(),
              subscriptionId == null ? 0 : subscriptionId);
      granted.add(s);
      codes.add(
          qos == 0
              ? ReasonCode.SUCCESS
              : qos == 1 ? ReasonCode.GRANTED_QOS_1 : ReasonCode.GRANTED_QOS_2);
    }
    List<Subscription> replaced = new ArrayList<>(granted.size());
    for (Subscription s : granted) {
      replaced.add(session.subscription(s.filter()));
      existed.add(session.subscribe(s));
    }
    services
        .sessions()
        .subscriptionsChanged(session)
        .onComplete(
            ar -> {
              if (connection.closed()) {
                return;
              }
              boolean notStored = ar.failed() && PersistenceException.isCauseOf(ar.cause());
              if (notStored) {
                // a persistent session's subscriptions could not be stored (the state database is
                // away): a granted SUBACK would promise what a restart loses, so the request is
                // undone here too and refused with 0x80, which the client may repeat
                LOG.warn(
                    "client {}: subscriptions not stored, refused: {}",
                    connection.clientId(),
                    ar.cause().getMessage());
                undo(session, granted, replaced, codes);
              } else if (ar.failed()) {
                // as before: the subscription holds on this node; other nodes may not route to it
                LOG.warn(
                    "client {}: subscriptions not yet routed by every node: {}",
                    connection.clientId(),
                    ar.cause().toString());
              }
              metrics.subscribed(codes);
              protocol.suback(endpoint, m.messageId(), codes);
              if (notStored) {
                return;
              }
              for (int i = 0; i < granted.size(); i++) {
                sendRetained(session, granted.get(i), existed.get(i));
              }
            });
  }

  /**
   * Takes back the subscriptions of a SUBSCRIBE whose change was not stored: each filter gets the
   * subscription it had before (or none), and its reason code becomes 0x80.
   */
  private static void undo(
      Session session,
      List<Subscription> granted,
      List<Subscription> replaced,
      List<ReasonCode> codes) {
    for (int i = 0; i < granted.size(); i++) {
      Subscription before = replaced.get(i);
      if (before == null) {
        session.unsubscribe(granted.get(i).filter());
      } else {
        session.subscribe(before);
      }
    }
    for (int i = 0; i < codes.size(); i++) {
      if (!codes.get(i).isError()) {
        codes.set(i, ReasonCode.UNSPECIFIED_ERROR);
      }
    }
  }

  /** Retained messages for a new subscription, per its Retain Handling (MQTT-3.3.1-9 to -11). */
  private void sendRetained(Session target, Subscription s, boolean existed) {
    if (!limits.retainAvailable()
        || s.shared() != null
        || s.retainHandling() == 2
        || (s.retainHandling() == 1 && existed)) {
      return;
    }
    int[] ids = s.subscriptionId() > 0 ? new int[] {s.subscriptionId()} : new int[0];
    retainedInOrder =
        retainedInOrder
            .transform(previous -> services.retained().match(s.filter()))
            .onSuccess(
                messages -> {
                  for (PublishedMessage r : messages) {
                    target.deliverRetained(r, Math.min(r.qos(), s.qos()), true, ids);
                  }
                })
            .onFailure(
                e ->
                    LOG.warn(
                        "client {}: retained messages for '{}' not read: {}",
                        connection.clientId(),
                        s.filter(),
                        e.toString()));
  }

  void onUnsubscribe(MqttUnsubscribeMessage m) {
    connection.touch();
    Session session = connection.session();
    if (session == null) {
      return;
    }
    List<ReasonCode> codes = new ArrayList<>();
    List<Subscription> removed = new ArrayList<>();
    for (String filter : m.topics()) {
      Subscription before = session.subscription(filter);
      if (session.unsubscribe(filter)) {
        removed.add(before);
        codes.add(ReasonCode.SUCCESS);
      } else {
        codes.add(ReasonCode.NO_SUBSCRIPTION_EXISTED);
      }
    }
    services
        .sessions()
        .subscriptionsChanged(session)
        .onComplete(
            ar -> {
              if (connection.closed()) {
                return;
              }
              if (ar.failed() && PersistenceException.isCauseOf(ar.cause())) {
                // as for SUBSCRIBE: not stored, so undone here too rather than acknowledged and
                // brought back by a restart
                LOG.warn(
                    "client {}: unsubscribe not stored, refused: {}",
                    connection.clientId(),
                    ar.cause().getMessage());
                removed.forEach(session::subscribe);
                if (!protocol.sharedSubscriptionsAvailable()) {
                  // an MQTT 3.1.1 UNSUBACK cannot say it failed: no UNSUBACK, the connection ends
                  connection.disconnect(ReasonCode.UNSPECIFIED_ERROR);
                  return;
                }
                codes.replaceAll(c -> c == ReasonCode.SUCCESS ? ReasonCode.UNSPECIFIED_ERROR : c);
              }
              metrics.unsubscribed(codes);
              protocol.unsuback(endpoint, m.messageId(), codes);
            });
  }
}
