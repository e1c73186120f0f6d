package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.events.ClientLifecycleEvents;
import io.mqttgrid.events.DisconnectionReason;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.ClientChannel;
import io.mqttgrid.session.Session;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.MqttAuthenticationExchangeMessage;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.MqttPubAckMessage;
import io.vertx.mqtt.messages.MqttPubCompMessage;
import io.vertx.mqtt.messages.MqttPubRecMessage;
import io.vertx.mqtt.messages.MqttPubRelMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the socket's MQTT state (MQTT 3.1.1 and 5), on that socket's event loop.
 * It wires vertx-mqtt's handlers to the concern that owns each packet, keeps what they share (the
 * CONNECT's terms, the session, whether the socket is closed), ends the connection, and is the
 * session layer's channel for what the broker sends the client. Version differences go through
 * {@link ProtocolAdapter}.
 *
 * <p>Where each MQTT rule lives: CONNECT to CONNACK in {@link ConnectHandshake}; rights over time,
 * credential expiry and re-authentication in {@link ConnectionRights}; inbound PUBLISH and PUBREL
 * (aliases, Receive Maximum, acknowledgement order) in {@link InboundPublishes}; SUBSCRIBE and
 * UNSUBSCRIBE with retained delivery in {@link SubscriptionRequests}; the Server Keep Alive in
 * {@link KeepAlive}; DISCONNECT, the will on close and the outbound channel here.
 */
final class MqttConnection implements ClientChannel {

  private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);

  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final MqttMetrics.ConnectionMeters metrics;

  private final ConnectTerms terms = new ConnectTerms();
  private Session session;
  private boolean closed;
  private boolean publishWillOnClose = true;
  private long disconnectExpiry = -1;

  /** Why the connection ends, for its Disconnected event: the first cause known wins. */
  private DisconnectionReason endReason;

  /** The connection's life-cycle events; null before the CONNACK or when they are off. */
  private ClientLifecycleEvents.Connection lifecycle;

  private final ConnectHandshake handshake;
  private final Context context;
  private final ConnectionRights rights;
  private final KeepAlive keepAlive;
  private final InboundPublishes publishes;
  private final SubscriptionRequests subscriptions;

  /** Null when the socket could not be reached (see {@link EndpointSocket}). */
  private EndpointSocket.HeldFlushes heldFlushes;

  /** Null when the socket could not be reached: vertx-mqtt's publish, which copies the payload. */
  private EndpointSocket.PublishWriter publishWriter;

  MqttConnection(
      MqttEndpoint endpoint,
      MqttServices services,
      Vertx vertx,
      boolean websocket,
      ClientMistakeLog mistakes,
      KeepAliveSweep keepAlives) {
    this.endpoint = endpoint;
    this.services = services;
    this.limits = services.limits();
    this.protocol = ProtocolAdapter.forVersion(endpoint.protocolVersion());
    this.metrics = services.metrics().connection(endpoint.protocolVersion(), websocket);
    this.keepAlive = new KeepAlive(this, keepAlives, limits.maxKeepAlive());
    this.context = vertx.getOrCreateContext();
    this.rights = new ConnectionRights(this, endpoint, services, vertx, context);
    this.publishes = new InboundPublishes(this, endpoint, context, services, protocol, metrics);
    this.subscriptions = new SubscriptionRequests(this, endpoint, services, protocol, metrics);
    this.handshake =
        new ConnectHandshake(this, endpoint, services, protocol, metrics, mistakes, terms);
  }

  void start() {
    endpoint.publishAutoAck(false);
    endpoint.subscriptionAutoAck(false);
    endpoint.closeHandler(v -> onClose());
    endpoint.pingHandler(keepAlive);
    Packets packets = new Packets();
    endpoint.exceptionHandler(packets.as());
    endpoint.disconnectMessageHandler(packets.as());
    endpoint.publishHandler(packets.as());
    endpoint.publishReleaseMessageHandler(packets.as());
    endpoint.publishAcknowledgeMessageHandler(packets.as());
    endpoint.publishReceivedMessageHandler(packets.as());
    endpoint.publishCompletionMessageHandler(packets.as());
    endpoint.subscribeHandler(packets.as());
    endpoint.unsubscribeHandler(packets.as());
    endpoint.authenticationExchangeHandler(packets.as());

    EndpointSocket.hold(endpoint);
    heldFlushes = EndpointSocket.heldFlushes(endpoint);
    publishWriter = EndpointSocket.publishWriter(endpoint);
    handshake.start();
  }

  /**
   * Called from any thread when the namespace model changed, and once the connection is in the
   * registry (a change may have come while the CONNECT was handled).
   */
  void namespaceChanged() {
    rights.namespaceChanged();
  }

  // ---------------------------------------------------------------- shared with the concerns

  /** Null until the CONNECT's identifier is read. */
  String clientId() {
    return terms.clientId;
  }

  /** Null until the session is opened. */
  Session session() {
    return session;
  }

  void sessionOpened(Session opened) {
    session = opened;
  }

  /**
   * The CONNACK accepted the connection: its Connected event (Event Grid's client life-cycle
   * events).
   */
  void accepted() {
    lifecycle = services.lifecycle().connected(rights.identity().authenticationName(), clientId());
  }

  /** Records why the connection ends, unless an earlier cause is known. */
  private void ending(DisconnectionReason reason) {
    if (endReason == null) {
      endReason = reason;
    }
  }

  boolean closed() {
    return closed;
  }

  ConnectionRights rights() {
    return rights;
  }

  KeepAlive keepAlive() {
    return keepAlive;
  }

  InboundPublishes publishes() {
    return publishes;
  }

  /** Any packet from the client counts for the keep-alive. */
  void touch() {
    keepAlive.touch();
  }

  /**
   * vertx-mqtt's packets and errors, each handed to the concern that owns it: one handler for all
   * of them rather than one method reference each (ten objects of 16 B of every connection). Their
   * types are distinct interfaces with one implementation each in vertx-mqtt.
   */
  private final class Packets implements Handler<Object> {

    /** This handler as vertx-mqtt's handler of one type. */
    @SuppressWarnings("unchecked")
    <T> Handler<T> as() {
      return (Handler<T>) (Handler<?>) this;
    }

    @Override
    public void handle(Object packet) {
      if (packet instanceof MqttPublishMessage m) {
        publishes.onPublish(m);
      } else if (packet instanceof MqttPubAckMessage m) {
        onPuback(m);
      } else if (packet instanceof MqttPubRecMessage m) {
        onPubrec(m);
      } else if (packet instanceof MqttPubRelMessage m) {
        publishes.onPubrel(m);
      } else if (packet instanceof MqttPubCompMessage m) {
        onPubcomp(m);
      } else if (packet instanceof MqttSubscribeMessage m) {
        subscriptions.onSubscribe(m);
      } else if (packet instanceof MqttUnsubscribeMessage m) {
        subscriptions.onUnsubscribe(m);
      } else if (packet instanceof MqttDisconnectMessage m) {
        onDisconnect(m);
      } else if (packet instanceof MqttAuthenticationExchangeMessage m) {
        rights.onAuth(m);
      } else if (packet instanceof Throwable t) {
        onException(t);
      } else {
        throw new IllegalArgumentException("not a packet vertx-mqtt hands over: " + packet);
      }
    }
  }

  // ---------------------------------------------------------------- acknowledgements of our
  // PUBLISHes

  private void onPuback(MqttPubAckMessage m) {
    touch();
    if (session != null) {
      session.acknowledged(m.messageId());
    }
  }

  private void onPubrec(MqttPubRecMessage m) {
    touch();
    if (session == null) {
      return;
    }
    if (m.code() != null && (m.code().value() & 0xFF) >= 0x80) {
      session.acknowledged(m.messageId());
    } else {
      session.received(m.messageId());
    }
  }

  private void onPubcomp(MqttPubCompMessage m) {
    touch();
    if (session != null) {
      session.acknowledged(m.messageId());
    }
  }

  // ---------------------------------------------------------------- DISCONNECT and close

  private void onDisconnect(MqttDisconnectMessage m) {
    int code = m.code() == null ? 0 : m.code().value() & 0xFF;
    publishWillOnClose = code == ReasonCode.DISCONNECT_WITH_WILL_MESSAGE.value;
    MqttProperties props = m.properties() == null ? MqttProperties.NO_PROPERTIES : m.properties();
    Integer expiry = intProperty(props, MqttProperties.SESSION_EXPIRY_INTERVAL);
    if (expiry != null) {
      long requested = Integer.toUnsignedLong(expiry);
      if (terms.requestedExpiry == 0 && requested != 0) {
        // MQTT-3.14.2-2: a session that was to end with the connection cannot be made persistent
        // now.
        // vertx-mqtt closes the connection right after this handler.
        publishWillOnClose = true;
        ending(DisconnectionReason.CLIENT_ERROR);
        EndpointSocket.writeDisconnect(endpoint, ReasonCode.PROTOCOL_ERROR);
        return;
      }
      disconnectExpiry = Math.min(requested, limits.maxSessionExpiry());
    }
    ending(DisconnectionReason.CLIENT_INITIATED_DISCONNECT);
    if (!publishWillOnClose && session != null) {
      // MQTT-3.1.2-10: a normal DISCONNECT removes the will at once, before anything else can fire
      // it
      services.sessions().discardWill(session);
    }
  }

  private void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    // no cause known: a socket that closed with no DISCONNECT either way, or failed. Told before
    // the connection leaves the registry: a graceful stop waits for the registry to empty, then for
    // routing
    services
        .lifecycle()
        .disconnected(
            lifecycle, endReason == null ? DisconnectionReason.CONNECTION_LOST : endReason);
    services.connections().remove(this);
    metrics.closed();
    keepAlive.stop();
    rights.stop();
    if (session != null) {
      services.sessions().disconnected(session, this, publishWillOnClose, disconnectExpiry);
    }
  }

  /**
   * What vertx-mqtt reports besides packets: socket errors and its own complaints. Input the
   * decoder cannot read never gets here: InboundGuard refuses it (DISCONNECT 0x81 / 0x95) before
   * vertx-mqtt sees it.
   */
  private void onException(Throwable t) {
    LOG.debug("client {}: connection error: {}", clientId(), t.toString());
    closeQuietly();
  }

  /**
   * An operator ended the connection through the management API (from any thread): DISCONNECT 0x98
   * Administrative action for MQTT 5, the socket closed for 3.1.1; the will is sent.
   */
  void disconnectByAdministrator() {
    context.runOnContext(v -> disconnect(ReasonCode.ADMINISTRATIVE_ACTION));
  }

  /** What the management API shows of a connection; read from any thread, so values may lag. */
  ConnectionRegistry.ConnectionView view() {
    Session s = session;
    ClientIdentity who = rights.identity();
    return new ConnectionRegistry.ConnectionView(
        terms.clientId,
        who == null ? null : who.authenticationName(),
        endpoint.protocolVersion(),
        String.valueOf(endpoint.remoteAddress()),
        s == null ? 0 : s.subscriptionCount(),
        s != null && s.persistent());
  }

  /**
   * Server-side end of the connection; the will is sent, as for any end the client did not ask for.
   */
  void disconnect(ReasonCode reason) {
    disconnect(reason, DisconnectionReason.of(reason));
  }

  /** The same, with the life-cycle reason the reason code alone does not tell. */
  void disconnect(ReasonCode reason, DisconnectionReason why) {
    if (!closed) {
      ending(why);
    }
    disconnect(reason, MqttProperties.NO_PROPERTIES);
  }

  private void disconnect(ReasonCode reason, MqttProperties props) {
    if (closed) {
      return;
    }
    try {
      if (endpoint.isConnected()) {
        protocol.disconnect(endpoint, reason, props);
      } else {
        closeQuietly();
      }
    } catch (IllegalStateException | IllegalArgumentException alreadyClosed) {
      // closed meanwhile
    }
  }

  /** Closes the socket without a DISCONNECT, as a lost network connection would. */
  void close() {
    closeQuietly();
  }

  private void closeQuietly() {
    try {
      endpoint.close();
    } catch (IllegalStateException | IllegalArgumentException alreadyClosed) {
      // closed meanwhile
    }
  }

  // ---------------------------------------------------------------- ClientChannel (called on this
  // context)

  @Override
  public int sendWindow() {
    return Math.min(terms.clientReceiveMaximum, limits.maxInflightOutbound());
  }

  @Override
  public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
    if (terms.clientMaxPacketSize == Long.MAX_VALUE) {
      return false;
    }
    MqttProperties props =
        protocol.publishProperties(message, subscriptionIds, System.currentTimeMillis());
    return protocol.encodedPublishSize(message, qos, props) > terms.clientMaxPacketSize;
  }

  @Override
  public Future<Void> sendPublish(
      PublishedMessage message,
      int qos,
      boolean retain,
      boolean dup,
      int packetId,
      int[] subscriptionIds) {
    if (closed || !endpoint.isConnected()) {
      return Future.failedFuture("connection closed");
    }
    MqttProperties props =
        protocol.publishProperties(message, subscriptionIds, System.currentTimeMillis());
    metrics.delivered(qos, message.payload().length);
    try {
      if (publishWriter != null) {
        return publishWriter.write(
            message.topic(), message.payload(), MqttQoS.valueOf(qos), dup, retain, packetId, props);
      }
      return endpoint
          .publish(
              message.topic(),
              Buffer.buffer(message.payload()),
              MqttQoS.valueOf(qos),
              dup,
              retain,
              packetId,
              props)
          .mapEmpty();
    } catch (IllegalStateException | IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public void holdFlushes() {
    if (heldFlushes != null) {
      heldFlushes.hold();
    }
  }

  @Override
  public void releaseFlushes() {
    if (heldFlushes != null) {
      heldFlushes.release();
    }
  }

  @Override
  public void sendPubrel(int packetId) {
    if (!closed && endpoint.isConnected()) {
      try {
        protocol.pubrel(endpoint, packetId, ReasonCode.SUCCESS);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // closed meanwhile
      }
    }
  }

  @Override
  public void close(EndCause cause) {
    publishWillOnClose = false; // the session layer decides about the will for server-side ends
    switch (cause) {
      case SESSION_TAKEN_OVER -> disconnect(ReasonCode.SESSION_TAKEN_OVER);
      // the session layer ends a session for a quota only when its queue overflowed
      case QUOTA_EXCEEDED ->
          disconnect(ReasonCode.QUOTA_EXCEEDED, DisconnectionReason.SESSION_OVERFLOW);
      case SERVER_SHUTTING_DOWN -> {
        ending(DisconnectionReason.SERVER_INITIATED_DISCONNECT);
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (!limits.serverReference().isEmpty()) {
          props = new MqttProperties();
          props.add(
              new MqttProperties.StringProperty(
                  MqttProperties.SERVER_REFERENCE, limits.serverReference()));
        }
        disconnect(ReasonCode.SERVER_SHUTTING_DOWN, props);
      }
      default -> closeQuietly();
    }
  }
}
