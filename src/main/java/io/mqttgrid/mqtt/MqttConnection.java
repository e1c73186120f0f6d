package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;
import static io.mqttgrid.mqtt.PacketFields.isUtf8;
import static io.mqttgrid.mqtt.PacketFields.stringProperty;

import io.mqttgrid.auth.AuthResult;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.auth.Credentials;
import io.mqttgrid.session.SessionOwnership;
import io.vertx.mqtt.messages.MqttAuthenticationExchangeMessage;
import io.vertx.mqtt.messages.codes.MqttAuthenticateReasonCode;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.session.ClientChannel;
import io.mqttgrid.session.Session;
import io.mqttgrid.session.SessionManager;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.MqttPubAckMessage;
import io.vertx.mqtt.messages.MqttPubCompMessage;
import io.vertx.mqtt.messages.MqttPubRecMessage;
import io.vertx.mqtt.messages.MqttPubRelMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the MQTT protocol state machine for a socket (MQTT 3.1.1 and 5), on that socket's
 * event loop. It validates packets, enforces the limits, and hands messages and subscriptions to the
 * session layer; version differences go through {@link ProtocolAdapter}.
 */
final class MqttConnection implements ClientChannel {

  private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
  private static final int DEFAULT_RECEIVE_MAXIMUM = 65_535;

  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final Vertx vertx;
  private final Context context;

  private String clientId;
  private Session session;
  private SessionManager.Attached attached;
  private boolean closed;
  private boolean publishWillOnClose = true;
  private long disconnectExpiry = -1;
  private long connectExpiry;
  private int clientReceiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  private long clientMaxPacketSize = Long.MAX_VALUE;
  private final KeepAlive keepAlive;
  private final InboundPublishes publishes;
  private final SubscriptionRequests subscriptions;
  private final ConnectionRights rights;
  private final MqttMetrics.ConnectionMeters metrics;
  private final ClientMistakeLog mistakes;

  MqttConnection(MqttEndpoint endpoint, MqttServices services, Vertx vertx, boolean websocket,
                 ClientMistakeLog mistakes) {
    this.endpoint = endpoint;
    this.mistakes = mistakes;
    this.services = services;
    this.limits = services.limits();
    this.protocol = ProtocolAdapter.forVersion(endpoint.protocolVersion());
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.metrics = services.metrics().connection(endpoint.protocolVersion(), websocket);
    this.keepAlive = new KeepAlive(this, vertx, limits.maxKeepAlive());
    this.rights = new ConnectionRights(this, endpoint, services, vertx, context);
    this.publishes = new InboundPublishes(this, endpoint, services, protocol, metrics);
    this.subscriptions = new SubscriptionRequests(this, endpoint, services, protocol, metrics);
  }

  // ---------------------------------------------------------------- CONNECT

  void start() {
    endpoint.publishAutoAck(false);
    endpoint.subscriptionAutoAck(false);
    endpoint.closeHandler(v -> onClose());
    endpoint.exceptionHandler(this::onException);
    endpoint.disconnectMessageHandler(this::onDisconnect);
    endpoint.publishHandler(publishes::onPublish);
    endpoint.publishReleaseMessageHandler(publishes::onPubrel);
    endpoint.publishAcknowledgeMessageHandler(this::onPuback);
    endpoint.publishReceivedMessageHandler(this::onPubrec);
    endpoint.publishCompletionMessageHandler(this::onPubcomp);
    endpoint.subscribeHandler(subscriptions::onSubscribe);
    endpoint.unsubscribeHandler(subscriptions::onUnsubscribe);
    endpoint.pingHandler(v -> touch());
    endpoint.authenticationExchangeHandler(rights::onAuth);

    EndpointSocket.hold(endpoint);
    ReasonCode invalid = validateConnect();
    if (invalid != null) {
      refuse(invalid, null);
      return;
    }
    MqttAuthData authData = MqttAuthData.of(endpoint);
    Credentials credentials = ConnectionRights.credentials(endpoint, clientId, authData.username(),
        authData.password(), authData.method(), authData.data());
    services.authenticator().authenticate(credentials)
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("connect of {}: authentication failed internally: {}", clientId, ar.cause().toString());
            refuse(ReasonCode.SERVER_UNAVAILABLE, "authentication unavailable");
          } else if (!ar.result().isAllowed()) {
            refuse(authRefusal(ar.result()), ar.result().detail());
          } else {
            authenticated(ar.result().identity());
          }
        });
  }

  /** After the credentials: rights, the will topic, the session rules of spec section 1.2, then the session. */
  private void authenticated(ClientIdentity who) {
    String gone = rights.authenticated(who);
    if (gone != null) {
      // the credentials were checked against an earlier model
      refuse(ReasonCode.NOT_AUTHORIZED, "client '" + who.authenticationName() + "' was " + gone + " meanwhile");
      return;
    }
    MqttWill w = endpoint.will();
    if (w != null && w.isWillFlag() && !rights.permissions().canPublish(w.getWillTopic())) {
      // spec section 4.2: the will is authorized at CONNECT like any publish
      refuse(ReasonCode.NOT_AUTHORIZED, "will topic '" + w.getWillTopic() + "' does not match any topic space");
      return;
    }
    if (who.authority() == ClientIdentity.Authority.ANONYMOUS) {
      openSession();
      return;
    }
    int maxSessions = services.namespace().get().settings().maximumClientSessionsPerAuthenticationName();
    services.ownership().claim(clientId, who.authenticationName(), maxSessions).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("connect of {}: session ownership not checked: {}", clientId, ar.cause().toString());
        refuse(ReasonCode.SERVER_UNAVAILABLE, "session registry unavailable");
      } else if (ar.result() == SessionOwnership.Claim.OWNED_BY_OTHER) {
        refuse(ReasonCode.NOT_AUTHORIZED, "session '" + clientId + "' belongs to another authentication name");
      } else if (ar.result() == SessionOwnership.Claim.QUOTA_EXCEEDED) {
        refuse(ReasonCode.QUOTA_EXCEEDED, "authentication name '" + who.authenticationName() + "' already holds "
            + maxSessions + " session(s) (maximumClientSessionsPerAuthenticationName)");
      } else {
        openSession();
      }
    });
  }

  /** CONNECT checks that need no credentials (spec section 1.11). Null when the CONNECT is acceptable. */
  private ReasonCode validateConnect() {
    int version = endpoint.protocolVersion();
    if (version < 3 || version > 5) {
      return ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
    }
    // MQTT 3.1.1 CONNECTs carry no properties: these read as absent for them
    MqttProperties props = endpoint.connectProperties();
    Integer receiveMax = intProperty(props, MqttProperties.RECEIVE_MAXIMUM);
    if (receiveMax != null) {
      if (receiveMax == 0) {
        return ReasonCode.PROTOCOL_ERROR;
      }
      clientReceiveMaximum = receiveMax;
    }
    Integer maxPacket = intProperty(props, MqttProperties.MAXIMUM_PACKET_SIZE);
    if (maxPacket != null) {
      if (maxPacket == 0) {
        return ReasonCode.PROTOCOL_ERROR;
      }
      clientMaxPacketSize = Integer.toUnsignedLong(maxPacket);
    }
    connectExpiry = protocol.requestedSessionExpiry(endpoint);
    String id = endpoint.clientIdentifier();
    if (id == null || id.isEmpty()) {
      if (!protocol.acceptsEmptyClientId(endpoint.isCleanSession())) {
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
      clientId = "mqttgrid-" + UUID.randomUUID();
      assignedClientId = true;
    } else {
      clientId = id;
      if (id.length() > limits.maxClientIdLength()
          || id.getBytes(StandardCharsets.UTF_8).length > limits.maxClientIdLength()
          || id.indexOf('\u0000') >= 0 || id.indexOf('\uFFFD') >= 0) {
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
    }
    MqttWill will = endpoint.will();
    if (will != null && will.isWillFlag()) {
      Topics.Check check = Topics.checkName(will.getWillTopic(), limits.maxTopicLength(), limits.maxTopicLevels());
      if (check == Topics.Check.BAD_CHARACTER) {
        return ReasonCode.MALFORMED_PACKET; // MQTT-1.5.4-1, -1.5.4-2
      }
      if (check != Topics.Check.OK || will.getWillTopic().startsWith("$")) {
        return ReasonCode.TOPIC_NAME_INVALID;
      }
      if (will.getWillQos() > limits.maxQos()) {
        return ReasonCode.QOS_NOT_SUPPORTED;
      }
      if (will.isWillRetain() && !limits.retainAvailable()) {
        return ReasonCode.RETAIN_NOT_SUPPORTED;
      }
      Integer format = intProperty(will.getWillProperties(), MqttProperties.PAYLOAD_FORMAT_INDICATOR);
      if (format != null && format == 1 && !isUtf8(will.getWillMessageBytes())) {
        return ReasonCode.PAYLOAD_FORMAT_INVALID;
      }
    }
    return null;
  }

  private boolean assignedClientId;

  private void openSession() {
    if (closed) {
      return;
    }
    long expiry = Math.min(connectExpiry, maxSessionExpiry());
    PublishedMessage will = null;
    long willDelay = 0;
    MqttWill w = endpoint.will();
    if (w != null && w.isWillFlag()) {
      MqttProperties wp = w.getWillProperties() == null ? MqttProperties.NO_PROPERTIES : w.getWillProperties();
      Integer delay = intProperty(wp, MqttProperties.WILL_DELAY_INTERVAL);
      willDelay = delay == null ? 0 : Integer.toUnsignedLong(delay);
      byte[] payload = w.getWillMessageBytes() == null ? new byte[0] : w.getWillMessageBytes();
      will = publishes.toMessage(w.getWillTopic(), payload, w.getWillQos(), w.isWillRetain(), wp);
    }
    services.sessions().connect(new SessionManager.ConnectRequest(clientId, endpoint.isCleanSession(), expiry,
        endpoint.protocolVersion(), will, willDelay)).onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("connect of {}: session could not be opened: {}", clientId, ar.cause().toString());
            refuse(ReasonCode.SERVER_UNAVAILABLE, ar.cause().getMessage());
            return;
          }
          attached = ar.result();
          session = attached.session();
          if (closed) {
            // the socket went away while the session was being opened
            services.sessions().disconnected(session, this, true, -1);
            services.sessions().attach(attached, this);
            return;
          }
          publishes.sessionResumed(attached.awaitingRelease());
          try {
            endpoint.accept(attached.sessionPresent(), connackProperties(expiry));
          } catch (IllegalStateException | IllegalArgumentException e) {
            return; // closed meanwhile; the close handler ends the session
          }
          metrics.connected();
          keepAlive.start(protocol.hasServerKeepAlive(), endpoint.keepAliveTimeSeconds());
          services.connections().add(this);
          rights.watchCredentialExpiry();
          services.sessions().attach(attached, this);
          EndpointSocket.release(endpoint);
          LOG.debug("client {} connected (MQTT {}, session present {})", clientId,
              protocol.name(), attached.sessionPresent());
        });
  }

  private MqttProperties connackProperties(long grantedExpiry) {
    int keepAlive = endpoint.keepAliveTimeSeconds();
    boolean capKeepAlive = KeepAliveDeadline.capped(keepAlive, limits.maxKeepAlive());
    MqttProperties p = protocol.connackProperties(limits, capKeepAlive,
        grantedExpiry != connectExpiry ? grantedExpiry : -1, assignedClientId ? clientId : null);
    String authMethod = MqttAuthData.of(endpoint).method();
    if (authMethod != null && p != MqttProperties.NO_PROPERTIES) {
      // MQTT 5 section 4.12: the CONNACK of an enhanced authentication names its method (clients check it)
      p.add(new MqttProperties.StringProperty(MqttProperties.AUTHENTICATION_METHOD, authMethod));
    }
    return p;
  }

  private void refuse(ReasonCode reason, String detail) {
    metrics.connectRefused(reason);
    SocketAddress remote = endpoint.remoteAddress();
    String address = remote == null ? null : remote.hostAddress();
    mistakes.info(address, "connect refused: client '{}' from {}: {}{}", clientId, address, reason,
        detail == null ? "" : " (" + detail + ")");
    try {
      protocol.refuseConnect(endpoint, reason);
    } catch (IllegalStateException | IllegalArgumentException alreadyClosed) {
      // nothing to refuse any more
    }
  }

  private static ReasonCode authRefusal(AuthResult r) {
    return switch (r.outcome()) {
      case BAD_CREDENTIALS -> ReasonCode.BAD_USER_NAME_OR_PASSWORD;
      case BAD_METHOD -> ReasonCode.BAD_AUTHENTICATION_METHOD;
      case UNAVAILABLE -> ReasonCode.SERVER_UNAVAILABLE;
      default -> ReasonCode.NOT_AUTHORIZED;
    };
  }

  /** The Session Expiry cap: the broker's limit and the namespace's maximumSessionExpiryInHours. */
  private long maxSessionExpiry() {
    return Math.min(limits.maxSessionExpiry(),
        services.namespace().get().settings().maximumSessionExpiryInHours() * 3600L);
  }

  /**
   * Called from any thread when the namespace model changed, and once the connection is in the registry
   * (a change may have come while the CONNECT was handled).
   */
  void namespaceChanged() {
    rights.namespaceChanged();
  }

  // ---------------------------------------------------------------- shared with the concerns

  String clientId() {
    return clientId;
  }

  ConnectionRights rights() {
    return rights;
  }

  Session session() {
    return session;
  }

  boolean closed() {
    return closed;
  }

  /** Any packet from the client counts for the keep-alive. */
  void touch() {
    keepAlive.touch();
  }

  // ---------------------------------------------------------------- acknowledgements of our PUBLISHes

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
      if (connectExpiry == 0 && requested != 0) {
        // MQTT-3.14.2-2: a session that was to end with the connection cannot be made persistent now.
        // vertx-mqtt closes the connection right after this handler.
        publishWillOnClose = true;
        EndpointSocket.writeDisconnect(endpoint, ReasonCode.PROTOCOL_ERROR);
        return;
      }
      disconnectExpiry = Math.min(requested, limits.maxSessionExpiry());
    }
    if (!publishWillOnClose && session != null) {
      // MQTT-3.1.2-10: a normal DISCONNECT removes the will at once, before anything else can fire it
      services.sessions().discardWill(session);
    }
  }

  private void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    services.connections().remove(this);
    metrics.closed();
    keepAlive.stop();
    rights.stop();
    if (session != null) {
      services.sessions().disconnected(session, this, publishWillOnClose, disconnectExpiry);
    }
  }

  private void onException(Throwable t) {
    // decoding failures are refused by InboundGuard before vertx-mqtt sees them; these are the ones it raises
    SocketAddress remote = endpoint.remoteAddress();
    String address = remote == null ? null : remote.hostAddress();
    if (t instanceof TooLongFrameException) {
      mistakes.info(address, "client {}: packet larger than {} bytes, disconnecting", clientId, limits.maxPacketSize());
      disconnect(ReasonCode.PACKET_TOO_LARGE);
    } else if (t instanceof DecoderException || t instanceof IllegalArgumentException) {
      // IllegalArgumentException: Netty's decoder for values it cannot parse (a reserved packet type, an
      // unknown property identifier, QoS 3 in a subscription option)
      mistakes.info(address, "client {}: malformed packet ({}), disconnecting", clientId, t.getMessage());
      disconnect(ReasonCode.MALFORMED_PACKET);
    } else {
      LOG.debug("client {}: connection error: {}", clientId, t.toString());
      closeQuietly();
    }
  }

  /** Server-side end of the connection; the will is sent, as for any end the client did not ask for. */
  void disconnect(ReasonCode reason) {
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

  private void closeQuietly() {
    try {
      endpoint.close();
    } catch (IllegalStateException | IllegalArgumentException alreadyClosed) {
      // closed meanwhile
    }
  }

  // ---------------------------------------------------------------- ClientChannel (called on this context)

  @Override
  public int sendWindow() {
    return Math.min(clientReceiveMaximum, limits.maxInflightOutbound());
  }

  @Override
  public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
    if (clientMaxPacketSize == Long.MAX_VALUE) {
      return false;
    }
    MqttProperties props = protocol.publishProperties(message, subscriptionIds, System.currentTimeMillis());
    return protocol.encodedPublishSize(message, qos, props) > clientMaxPacketSize;
  }

  @Override
  public Future<Void> sendPublish(PublishedMessage message, int qos, boolean retain, boolean dup, int packetId,
                                  int[] subscriptionIds) {
    if (closed || !endpoint.isConnected()) {
      return Future.failedFuture("connection closed");
    }
    MqttProperties props = protocol.publishProperties(message, subscriptionIds, System.currentTimeMillis());
    metrics.delivered(qos, message.payload().length);
    try {
      return endpoint.publish(message.topic(), Buffer.buffer(message.payload()), MqttQoS.valueOf(qos), dup, retain,
          packetId, props).mapEmpty();
    } catch (IllegalStateException | IllegalArgumentException e) {
      return Future.failedFuture(e);
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
      case QUOTA_EXCEEDED -> disconnect(ReasonCode.QUOTA_EXCEEDED);
      case SERVER_SHUTTING_DOWN -> {
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (!limits.serverReference().isEmpty()) {
          props = new MqttProperties();
          props.add(new MqttProperties.StringProperty(MqttProperties.SERVER_REFERENCE, limits.serverReference()));
        }
        disconnect(ReasonCode.SERVER_SHUTTING_DOWN, props);
      }
      default -> closeQuietly();
    }
  }
}
