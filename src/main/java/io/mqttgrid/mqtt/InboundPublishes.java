package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;
import static io.mqttgrid.mqtt.PacketFields.stringProperty;

import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishRefusal;
import io.mqttgrid.publish.PublishRequest;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.Session;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
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
 * The PUBLISHes a client sends, and its PUBRELs: the MQTT adapter of the publish pipeline. What
 * only MQTT has is here (a resent QoS 2 PUBLISH, Receive Maximum, topic aliases, the publish rates
 * of the connection, the order of acknowledgements and, for QoS 2 on a persistent session, the
 * packet identifier stored); the message itself is judged, authorized and routed by {@link
 * PublishPipeline}, whose refusals are answered as {@link PublishRefusal} says. The flow state is
 * in {@link InboundQosFlow} and {@link TopicAliasTable}; this class talks to the socket and the
 * session layer.
 */
final class InboundPublishes {

  private static final Logger LOG = LoggerFactory.getLogger(InboundPublishes.class);

  private final MqttConnection connection;
  private final MqttEndpoint endpoint;

  /** The connection's context: {@link #flow} and the endpoint are used on it only. */
  private final Context context;

  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final MqttMetrics.ConnectionMeters metrics;
  private final TopicAliasTable topicAliases;
  private final InboundQosFlow flow = new InboundQosFlow();
  private final RateLimiter publishRate;
  private final RateLimiter publishBytesRate;
  private final InboundQosFlow.AckSender ackSender;

  /**
   * This client as a publisher; built at its first PUBLISH, once the CONNECT settled its client id.
   */
  private PublishSource source;

  /** A 3.1.1 client's socket is paused while its publishes fill the Receive Maximum. */
  private boolean readingHeld;

  /** Answers decided after their read (a persistent subscriber's store): in one write per turn. */
  private final LateAnswers lateAnswers;

  InboundPublishes(
      MqttConnection connection,
      MqttEndpoint endpoint,
      Context context,
      MqttServices services,
      ProtocolAdapter protocol,
      MqttMetrics.ConnectionMeters metrics) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.context = context;
    this.services = services;
    this.limits = services.limits();
    this.protocol = protocol;
    this.metrics = metrics;
    this.topicAliases = new TopicAliasTable(limits.topicAliasMaximum());
    this.lateAnswers =
        new LateAnswers(context, connection::holdFlushes, connection::releaseFlushes);
    this.publishRate =
        limits.publishRate() <= 0
            ? RateLimiter.UNLIMITED
            : new RateLimiter(
                limits.publishRate(),
                () -> metrics.throttled(MqttMetrics.THROTTLE_PUBLISH_PACKETS));
    this.publishBytesRate =
        limits.publishBytesRate() <= 0
            ? RateLimiter.UNLIMITED
            : new RateLimiter(
                limits.publishBytesRate(),
                () -> metrics.throttled(MqttMetrics.THROTTLE_PUBLISH_BYTES));
    this.ackSender =
        new InboundQosFlow.AckSender() {
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

  /**
   * Whether the client can no longer be answered: vertx-mqtt ends the endpoint at once (on the
   * client's DISCONNECT, or when the server closes it) and the connection hears of the socket's
   * close only a moment later; an acknowledgement written in between would throw.
   */
  private boolean gone() {
    return connection.closed() || !endpoint.isConnected();
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
    if (qos > 0) {
      if (qos == 2 && flow.awaitingRelease(packetId)) {
        // a resent QoS 2 PUBLISH we already own: acknowledge again, do not route again (MQTT-4.3.3)
        protocol.pubrec(endpoint, packetId, ReasonCode.SUCCESS);
        return;
      }
      if (flow.full(limits.receiveMaximum()) && !readingHeld) {
        // an MQTT 5 client ignored the Receive Maximum its CONNACK gave it (a 3.1.1 client whose
        // reading is held may still have one publish that was read before the pause: kept)
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
    long receivedNanos = System.nanoTime();
    PublishRequest request = request(topic, m.payload().getBytes(), qos, m.isRetain(), props);
    PublishPipeline.Result result = services.publishes().publish(source(), request);
    if (result instanceof PublishPipeline.Refused refused) {
      refuse(packetId, qos, topic, refused);
      return;
    }
    PublishPipeline.Routed routed = (PublishPipeline.Routed) result;
    if (qos == 0) {
      metrics.published(0, ReasonCode.SUCCESS, -1);
      return;
    }
    InboundQosFlow.Pending ack = flow.accept(packetId, qos, receivedNanos);
    holdReadingIfFull();
    Future<?> durable = routed.reached();
    Session session = connection.session();
    if (qos == 2 && session != null && session.persistent()) {
      durable =
          Future.all(
              routed.reached(),
              services.sessions().store().addAwaitingRelease(connection.clientId(), packetId));
    }
    lateAnswers.when(durable, ar -> routed(ar, ack, request, routed));
  }

  /** Routing of an inbound QoS 1/2 publish ended: its acknowledgement is due, in arrival order. */
  private void routed(
      AsyncResult<?> ar,
      InboundQosFlow.Pending ack,
      PublishRequest request,
      PublishPipeline.Routed routed) {
    int qos = ack.qos;
    if (ar.failed()) {
      PublishRefusal refusal = PublishRefusal.ofRoutingFailure(ar.cause());
      if (refusal == PublishRefusal.SUBSCRIBERS_FULL) {
        // the subscribers' side: counted as dropped by each session, not a server error
        LOG.debug(
            "publish from {} on '{}' kept by no subscriber: {}",
            connection.clientId(),
            request.topic(),
            ar.cause().getMessage());
      } else {
        LOG.warn(
            "publish from {} on '{}' failed: {}",
            connection.clientId(),
            request.topic(),
            ar.cause().toString());
      }
      flow.complete(ack, refusal.mqttReason());
    } else {
      flow.complete(
          ack,
          routed.reached().result() == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS);
    }
    metrics.published(qos, ack.reason, ack.receivedNanos);
    flow.flush(gone(), ackSender);
    resumeReadingIfRoom();
  }

  /**
   * Stops reading a 3.1.1 client's packets while its unacknowledged QoS 1/2 publishes fill the
   * Receive Maximum. MQTT 3.1.1 cannot tell a client that limit, so a client sending faster than
   * its publishes are stored (a persistent subscriber's queue written through to the database)
   * broke no rule and must not be closed for it, as an MQTT 5 client that ignores the limit it was
   * given is; TCP's flow control slows it down instead. Where the socket cannot be paused
   * (vertx-mqtt's internals changed) the limit closes the connection as for MQTT 5.
   */
  private void holdReadingIfFull() {
    if (!readingHeld
        && endpoint.protocolVersion() != 5
        && flow.full(limits.receiveMaximum())
        && flow.awaitingRouting() > 0) {
      readingHeld = EndpointSocket.hold(endpoint);
    }
  }

  /**
   * Reads a held 3.1.1 client's packets again once an acknowledgement freed a slot, or once the
   * slots all wait for the client's PUBREL (which must be read to free them: a client that sends
   * another publish instead is closed, as before).
   */
  private void resumeReadingIfRoom() {
    if (readingHeld && (!flow.full(limits.receiveMaximum()) || flow.awaitingRouting() == 0)) {
      readingHeld = false;
      EndpointSocket.release(endpoint);
    }
  }

  /**
   * The publisher as the pipeline sees it, once the CONNECT gave it its client id: its rights are
   * the connection's, taken again if the namespace model changed (which may end the connection:
   * then it has none), its quota the connection's publish rates.
   */
  private PublishSource source() {
    if (source == null) {
      source =
          PublishSource.mqttClient(
              connection.clientId(),
              () -> connection.rights().identity(),
              () -> connection.rights().current() ? connection.rights().permissions() : null,
              payloadBytes -> publishRate.tryTake(1) && publishBytesRate.tryTake(payloadBytes));
    }
    return source;
  }

  /** Answers a refused PUBLISH as {@link PublishRefusal} says MQTT does. */
  private void refuse(int packetId, int qos, String topic, PublishPipeline.Refused refused) {
    PublishRefusal cause = refused.cause();
    if (cause.mqttAnswer() == PublishRefusal.MqttAnswer.NONE) {
      return; // the connection was ended, which answered the client
    }
    LOG.debug(
        "publish from {} to '{}' refused: {}", connection.clientId(), topic, refused.detail());
    ReasonCode reason = cause.mqttReason();
    if (cause.mqttAnswer() == PublishRefusal.MqttAnswer.DISCONNECT) {
      connection.disconnect(reason);
      return;
    }
    metrics.published(qos, reason, -1);
    protocol.refusePublish(
        endpoint,
        packetId,
        qos,
        reason,
        cause.mqttAnswer() == PublishRefusal.MqttAnswer.REFUSE ? reason : null);
  }

  void onPubrel(MqttPubRelMessage m) {
    connection.touch();
    int packetId = m.messageId();
    boolean known = flow.release(packetId);
    resumeReadingIfRoom();
    Session session = connection.session();
    Future<Void> forgotten =
        known && session != null && session.persistent()
            ? services.sessions().store().removeAwaitingRelease(connection.clientId(), packetId)
            : Future.succeededFuture();
    lateAnswers.when(
        forgotten,
        ar -> {
          if (!gone()) {
            protocol.pubcomp(
                endpoint,
                packetId,
                known ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
          }
        });
  }

  /**
   * What a PUBLISH (or a will) of this client asks for, with its MQTT 5 properties (none for MQTT
   * 3.1.1).
   */
  static PublishRequest request(
      String topic, byte[] payload, int qos, boolean retain, MqttProperties props) {
    long expirySeconds = -1;
    int payloadFormat = -1;
    String contentType = null;
    String responseTopic = null;
    byte[] correlation = null;
    List<PublishedMessage.UserProperty> userProps = List.of();
    if (props != null) {
      Integer expiry = intProperty(props, MqttProperties.PUBLICATION_EXPIRY_INTERVAL);
      if (expiry != null) {
        expirySeconds = Integer.toUnsignedLong(expiry);
      }
      Integer format = intProperty(props, MqttProperties.PAYLOAD_FORMAT_INDICATOR);
      payloadFormat = format == null ? -1 : format;
      contentType = stringProperty(props, MqttProperties.CONTENT_TYPE);
      responseTopic = stringProperty(props, MqttProperties.RESPONSE_TOPIC);
      MqttProperties.MqttProperty<?> corr = props.getProperty(MqttProperties.CORRELATION_DATA);
      correlation = corr == null ? null : (byte[]) corr.value();
      List<? extends MqttProperties.MqttProperty> ups =
          props.getProperties(MqttProperties.USER_PROPERTY);
      if (!ups.isEmpty()) {
        userProps = new ArrayList<>(ups.size());
        for (MqttProperties.MqttProperty<?> up : ups) {
          MqttProperties.StringPair pair = (MqttProperties.StringPair) up.value();
          userProps.add(new PublishedMessage.UserProperty(pair.key, pair.value));
        }
      }
    }
    return PublishRequest.of(
        topic,
        qos,
        retain,
        payload,
        responseTopic,
        correlation,
        userProps,
        contentType,
        expirySeconds,
        payloadFormat);
  }
}
