package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;
import static io.mqttgrid.mqtt.PacketFields.stringProperty;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.session.Session;
import io.mqttgrid.wire.Utf8;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.MqttPubRelMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PUBLISHes a client sends, and its PUBRELs: the checks in the order MQTT 5 and the Event Grid contract
 * put them (QoS, Receive Maximum, topic alias, topic name, rights, retain, payload format, rate, retained
 * size), routing, and the acknowledgement once the message is routed (and, for QoS 2 on a persistent
 * session, the packet identifier stored). The flow state is in {@link InboundQosFlow} and
 * {@link TopicAliasTable}; this class talks to the socket and the session layer.
 */
final class InboundPublishes {

  private static final Logger LOG = LoggerFactory.getLogger(InboundPublishes.class);

  private final MqttConnection connection;
  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final MqttMetrics.ConnectionMeters metrics;
  private final TopicAliasTable topicAliases;
  private final InboundQosFlow flow = new InboundQosFlow();
  private final RateLimiter publishRate;
  private final RateLimiter publishBytesRate;
  private final InboundQosFlow.AckSender ackSender;

  InboundPublishes(MqttConnection connection, MqttEndpoint endpoint, MqttServices services,
                   ProtocolAdapter protocol, MqttMetrics.ConnectionMeters metrics) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.services = services;
    this.limits = services.limits();
    this.protocol = protocol;
    this.metrics = metrics;
    this.topicAliases = new TopicAliasTable(limits.topicAliasMaximum());
    this.publishRate = new RateLimiter(limits.publishRate(),
        () -> metrics.throttled(MqttMetrics.THROTTLE_PUBLISH_PACKETS));
    this.publishBytesRate = new RateLimiter(limits.publishBytesRate(),
        () -> metrics.throttled(MqttMetrics.THROTTLE_PUBLISH_BYTES));
    this.ackSender = new InboundQosFlow.AckSender() {
      @Override
      public void puback(int packetId, ReasonCode reason) {
        protocol.puback(endpoint, packetId, reason);
      }

      @Override
      public void pubrec(int packetId, ReasonCode reason) {
        protocol.pubrec(endpoint, packetId, reason);
      }
    };
  }

  /** QoS 2 publishes the resumed session received before and that are not yet released. */
  void sessionResumed(Collection<Integer> awaitingRelease) {
    flow.restoreAwaitingRelease(awaitingRelease);
  }

  void onPublish(MqttPublishMessage m) {
    connection.touch();
    metrics.received(m.payload().length());
    int qos = m.qosLevel().value();
    int packetId = m.messageId();
    if (qos > limits.maxQos()) {
      connection.disconnect(ReasonCode.QOS_NOT_SUPPORTED);
      return;
    }
    if (qos > 0) {
      if (qos == 2 && flow.awaitingRelease(packetId)) {
        // a resent QoS 2 PUBLISH we already own: acknowledge again, do not route again (MQTT-4.3.3)
        protocol.pubrec(endpoint, packetId, ReasonCode.SUCCESS);
        return;
      }
      if (flow.full(limits.receiveMaximum())) {
        connection.disconnect(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
        return;
      }
    }
    MqttProperties props = m.properties() == null ? MqttProperties.NO_PROPERTIES : m.properties();
    String topic = m.topicName();
    Integer alias = intProperty(props, MqttProperties.TOPIC_ALIAS); // MQTT 5 only: absent for 3.1.1
    if (alias != null) {
      topic = topicAliases.resolve(alias, topic);
      if (topic == null) {
        connection.disconnect(ReasonCode.TOPIC_ALIAS_INVALID);
        return;
      }
    }
    Topics.Check check = Topics.checkName(topic, limits.maxTopicLength(), limits.maxTopicLevels());
    if (check == Topics.Check.EMPTY || check == Topics.Check.WILDCARD_IN_NAME
        || check == Topics.Check.BAD_CHARACTER) {
      connection.disconnect(switch (check) {
        case EMPTY -> ReasonCode.PROTOCOL_ERROR;
        // ill-formed UTF-8 or U+0000 in a string makes the whole packet malformed (MQTT-1.5.4-1, -1.5.4-2)
        case BAD_CHARACTER -> ReasonCode.MALFORMED_PACKET;
        default -> ReasonCode.TOPIC_NAME_INVALID;
      });
      return;
    }
    if (check != Topics.Check.OK) {
      refusePublish(packetId, qos, ReasonCode.TOPIC_NAME_INVALID, ReasonCode.TOPIC_NAME_INVALID);
      return;
    }
    if (!connection.rights().current()) {
      return; // a change of the model that reached this node after the rights were taken ended the connection
    }
    if (!connection.rights().permissions().canPublish(topic)) {
      // spec section 4.3: PUBACK 0x87 (v5 QoS 1/2), dropped (v5 QoS 0), connection closed (v3.1.1);
      // '$' topics are the broker's own and never granted
      LOG.debug("client {}: topic name '{}' does not match any topic space", connection.clientId(), topic);
      refusePublish(packetId, qos, ReasonCode.NOT_AUTHORIZED, null);
      return;
    }
    byte[] payload = m.payload().getBytes();
    if (m.isRetain() && !limits.retainAvailable()) {
      connection.disconnect(ReasonCode.RETAIN_NOT_SUPPORTED);
      return;
    }
    Integer format = intProperty(props, MqttProperties.PAYLOAD_FORMAT_INDICATOR);
    if (format != null && format == 1 && !Utf8.isWellFormed(payload)) {
      refusePublish(packetId, qos, ReasonCode.PAYLOAD_FORMAT_INVALID, ReasonCode.PAYLOAD_FORMAT_INVALID);
      return;
    }
    if (!publishRate.tryTake(1) || !publishBytesRate.tryTake(payload.length)) {
      refusePublish(packetId, qos, ReasonCode.QUOTA_EXCEEDED, null);
      return;
    }
    if (m.isRetain() && payload.length > limits.maxRetainedPayload()) {
      refusePublish(packetId, qos, ReasonCode.QUOTA_EXCEEDED, null);
      return;
    }
    PublishedMessage message = toMessage(topic, payload, qos, m.isRetain(), props);
    if (qos == 0) {
      metrics.published(0, ReasonCode.SUCCESS, -1);
      services.publisher().publish(message);
      return;
    }
    InboundQosFlow.Pending ack = flow.accept(packetId, qos, System.nanoTime());
    Future<Integer> routed = services.publisher().publish(message);
    Future<?> durable = routed;
    Session session = connection.session();
    if (qos == 2 && session != null && session.persistent()) {
      durable = Future.all(routed, services.sessions().store().addAwaitingRelease(connection.clientId(), packetId));
    }
    durable.onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("publish from {} on '{}' failed: {}", connection.clientId(), message.topic(), ar.cause().toString());
        flow.complete(ack, ReasonCode.UNSPECIFIED_ERROR);
      } else {
        flow.complete(ack, routed.result() == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS);
      }
      metrics.published(qos, ack.reason, ack.receivedNanos);
      flow.flush(connection.closed(), ackSender);
    });
  }

  private void refusePublish(int packetId, int qos, ReasonCode reason, ReasonCode disconnectForQos0) {
    LOG.debug("publish from {} refused: {}", connection.clientId(), reason);
    metrics.published(qos, reason, -1);
    protocol.refusePublish(endpoint, packetId, qos, reason, disconnectForQos0);
  }

  void onPubrel(MqttPubRelMessage m) {
    connection.touch();
    int packetId = m.messageId();
    boolean known = flow.release(packetId);
    Session session = connection.session();
    Future<Void> forgotten = known && session != null && session.persistent()
        ? services.sessions().store().removeAwaitingRelease(connection.clientId(), packetId)
        : Future.succeededFuture();
    forgotten.onComplete(ar -> {
      if (!connection.closed()) {
        protocol.pubcomp(endpoint, packetId,
            known ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
      }
    });
  }

  /** The broker's message for a PUBLISH (or a will) of this client, with its MQTT 5 properties. */
  PublishedMessage toMessage(String topic, byte[] payload, int qos, boolean retain, MqttProperties props) {
    long now = System.currentTimeMillis();
    long expiresAt = 0;
    int payloadFormat = -1;
    String contentType = null;
    String responseTopic = null;
    byte[] correlation = null;
    List<PublishedMessage.UserProperty> userProps = List.of();
    if (props != null) {
      Integer expiry = intProperty(props, MqttProperties.PUBLICATION_EXPIRY_INTERVAL);
      if (expiry != null) {
        expiresAt = now + Integer.toUnsignedLong(expiry) * 1000L;
      }
      Integer format = intProperty(props, MqttProperties.PAYLOAD_FORMAT_INDICATOR);
      payloadFormat = format == null ? -1 : format;
      contentType = stringProperty(props, MqttProperties.CONTENT_TYPE);
      responseTopic = stringProperty(props, MqttProperties.RESPONSE_TOPIC);
      MqttProperties.MqttProperty<?> corr = props.getProperty(MqttProperties.CORRELATION_DATA);
      correlation = corr == null ? null : (byte[]) corr.value();
      List<? extends MqttProperties.MqttProperty> ups = props.getProperties(MqttProperties.USER_PROPERTY);
      if (!ups.isEmpty()) {
        userProps = new ArrayList<>(ups.size());
        for (MqttProperties.MqttProperty<?> up : ups) {
          MqttProperties.StringPair pair = (MqttProperties.StringPair) up.value();
          userProps.add(new PublishedMessage.UserProperty(pair.key, pair.value));
        }
      }
    }
    return new PublishedMessage(services.publisher().newMessageId(), topic, payload, qos, retain,
        connection.clientId(), now, expiresAt, payloadFormat, contentType, responseTopic, correlation, userProps);
  }
}
