package io.mqttgrid.mqtt;

import static io.mqttgrid.mqtt.PacketFields.intProperty;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.auth.AuthResult;
import io.mqttgrid.auth.Credentials;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishRequest;
import io.mqttgrid.publish.PublishRules;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.SessionManager;
import io.mqttgrid.session.SessionOwnership;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.net.SocketAddress;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * From CONNECT to CONNACK: the checks that need no credentials (reason codes as Event Grid maps
 * them), authentication, the rights and the will's topic, Event Grid's session rules (one owner per
 * session, sessions per authentication name), then the session opened or resumed and the CONNACK
 * with what the server grants. Any failure refuses the CONNECT with the reason code MQTT and the
 * Event Grid contract give it.
 */
final class ConnectHandshake {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectHandshake.class);

  /**
   * Client ids of the bridge's sessions at this broker ({@code
   * io.mqttgrid.bridge.BridgeFile.LOCAL_SESSION_PREFIX}, not referenced: the bridge package depends
   * on this one): a client taking one would take over the bridge's session and its queue.
   */
  static final String BRIDGE_SESSION_PREFIX = "$bridge/";

  private final MqttConnection connection;
  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final MqttLimits limits;
  private final ProtocolAdapter protocol;
  private final MqttMetrics.ConnectionMeters metrics;
  private final ClientMistakeLog mistakes;
  private final ConnectTerms terms;

  ConnectHandshake(
      MqttConnection connection,
      MqttEndpoint endpoint,
      MqttServices services,
      ProtocolAdapter protocol,
      MqttMetrics.ConnectionMeters metrics,
      ClientMistakeLog mistakes,
      ConnectTerms terms) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.services = services;
    this.limits = services.limits();
    this.protocol = protocol;
    this.metrics = metrics;
    this.mistakes = mistakes;
    this.terms = terms;
  }

  /** Handles the CONNECT the endpoint was opened with; the connection's handlers are in place. */
  void start() {
    ReasonCode invalid = validateConnect();
    if (invalid != null) {
      refuse(invalid, null);
      return;
    }
    MqttAuthData authData = MqttAuthData.of(endpoint);
    Credentials credentials =
        ConnectionRights.credentials(
            endpoint,
            terms.clientId,
            authData.username(),
            authData.password(),
            authData.method(),
            authData.data());
    services
        .authenticator()
        .authenticate(credentials)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn(
                    "connect of {}: authentication failed internally: {}",
                    terms.clientId,
                    ar.cause().toString());
                refuse(ReasonCode.SERVER_UNAVAILABLE, "authentication unavailable");
              } else if (!ar.result().isAllowed()) {
                refuse(authRefusal(ar.result()), ar.result().detail());
              } else {
                authenticated(ar.result().identity());
              }
            });
  }

  /**
   * After the credentials: rights, the will topic, Event Grid's session rules, then the session.
   */
  private void authenticated(ClientIdentity who) {
    String clientId = terms.clientId;
    String gone = connection.rights().authenticated(who);
    if (gone != null) {
      // the credentials were checked against an earlier model
      refuse(
          ReasonCode.NOT_AUTHORIZED,
          "client '" + who.authenticationName() + "' was " + gone + " meanwhile");
      return;
    }
    MqttWill w = endpoint.will();
    if (w != null
        && w.isWillFlag()
        && !connection.rights().permissions().canPublish(w.getWillTopic())) {
      // as in Event Grid: the will is authorized at CONNECT like any publish
      refuse(
          ReasonCode.NOT_AUTHORIZED,
          "will topic '" + w.getWillTopic() + "' does not match any topic space");
      return;
    }
    if (who.authority() == ClientIdentity.Authority.ANONYMOUS) {
      openSession();
      return;
    }
    int maxSessions =
        services.namespace().get().settings().maximumClientSessionsPerAuthenticationName();
    services
        .ownership()
        .claim(clientId, who.authenticationName(), maxSessions)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn(
                    "connect of {}: session ownership not checked: {}",
                    clientId,
                    ar.cause().toString());
                refuse(ReasonCode.SERVER_UNAVAILABLE, "session registry unavailable");
              } else if (ar.result() == SessionOwnership.Claim.OWNED_BY_OTHER) {
                refuse(
                    ReasonCode.NOT_AUTHORIZED,
                    "session '" + clientId + "' belongs to another authentication name");
              } else if (ar.result() == SessionOwnership.Claim.QUOTA_EXCEEDED) {
                refuse(
                    ReasonCode.QUOTA_EXCEEDED,
                    "authentication name '"
                        + who.authenticationName()
                        + "' already holds "
                        + maxSessions
                        + " session(s) (maximumClientSessionsPerAuthenticationName)");
              } else {
                openSession();
              }
            });
  }

  /**
   * CONNECT checks that need no credentials (reason codes as Event Grid maps them). Null when the
   * CONNECT is acceptable.
   */
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
      terms.clientReceiveMaximum = receiveMax;
    }
    Integer maxPacket = intProperty(props, MqttProperties.MAXIMUM_PACKET_SIZE);
    if (maxPacket != null) {
      if (maxPacket == 0) {
        return ReasonCode.PROTOCOL_ERROR;
      }
      terms.clientMaxPacketSize = Integer.toUnsignedLong(maxPacket);
    }
    terms.requestedExpiry = protocol.requestedSessionExpiry(endpoint);
    String id = endpoint.clientIdentifier();
    if (id == null || id.isEmpty()) {
      if (!protocol.acceptsEmptyClientId(endpoint.isCleanSession())) {
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
      terms.clientId = "mqttgrid-" + UUID.randomUUID();
      terms.assignedClientId = true;
    } else {
      terms.clientId = id;
      if (id.length() > limits.maxClientIdLength()
          || id.getBytes(StandardCharsets.UTF_8).length > limits.maxClientIdLength()
          || id.indexOf('\u0000') >= 0
          || id.indexOf('\uFFFD') >= 0) {
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
      if (id.startsWith(BRIDGE_SESSION_PREFIX)) {
        LOG.info("connect refused: client id '{}' is reserved for the bridge's own sessions", id);
        return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      }
    }
    MqttWill will = endpoint.will();
    if (will != null && will.isWillFlag()) {
      PublishPipeline.Refused broken =
          PublishRules.check(willRequest(will), limits, PublishSource.Kind.MQTT_CLIENT);
      if (broken != null && broken.cause().mqttWillReason() != null) {
        return broken.cause().mqttWillReason();
      }
    }
    return null;
  }

  /** What the will of the CONNECT asks to publish. */
  private static PublishRequest willRequest(MqttWill w) {
    byte[] payload = w.getWillMessageBytes() == null ? new byte[0] : w.getWillMessageBytes();
    return InboundPublishes.request(
        w.getWillTopic(),
        payload,
        w.getWillQos(),
        w.isWillRetain(),
        w.getWillProperties() == null ? MqttProperties.NO_PROPERTIES : w.getWillProperties());
  }

  private void openSession() {
    if (connection.closed()) {
      return;
    }
    String clientId = terms.clientId;
    long expiry = Math.min(terms.requestedExpiry, maxSessionExpiry());
    PublishedMessage will = null;
    long willDelay = 0;
    MqttWill w = endpoint.will();
    if (w != null && w.isWillFlag()) {
      MqttProperties wp =
          w.getWillProperties() == null ? MqttProperties.NO_PROPERTIES : w.getWillProperties();
      Integer delay = intProperty(wp, MqttProperties.WILL_DELAY_INTERVAL);
      willDelay = delay == null ? 0 : Integer.toUnsignedLong(delay);
      will = services.publishes().message(willRequest(w), clientId);
    }
    services
        .sessions()
        .connect(
            new SessionManager.ConnectRequest(
                clientId,
                endpoint.isCleanSession(),
                expiry,
                endpoint.protocolVersion(),
                will,
                willDelay))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn(
                    "connect of {}: session could not be opened: {}",
                    clientId,
                    ar.cause().toString());
                refuse(ReasonCode.SERVER_UNAVAILABLE, ar.cause().getMessage());
                return;
              }
              SessionManager.Attached attached = ar.result();
              connection.sessionOpened(attached.session());
              if (connection.closed()) {
                // the socket went away while the session was being opened
                services.sessions().disconnected(attached.session(), connection, true, -1);
                services.sessions().attach(attached, connection);
                return;
              }
              connection.publishes().sessionResumed(attached.awaitingRelease());
              try {
                endpoint.accept(attached.sessionPresent(), connackProperties(expiry));
              } catch (IllegalStateException | IllegalArgumentException e) {
                return; // closed meanwhile; the close handler ends the session
              }
              metrics.connected();
              connection
                  .keepAlive()
                  .start(
                      protocol.hasServerKeepAlive(),
                      endpoint.keepAliveTimeSeconds(),
                      EndpointSocket.pipeline(endpoint));
              services.connections().add(connection);
              connection.rights().watchCredentialExpiry();
              services.sessions().attach(attached, connection);
              connection.accepted();
              EndpointSocket.release(endpoint);
              LOG.debug(
                  "client {} connected (MQTT {}, session present {})",
                  clientId,
                  protocol.name(),
                  attached.sessionPresent());
            });
  }

  private MqttProperties connackProperties(long grantedExpiry) {
    int keepAlive = endpoint.keepAliveTimeSeconds();
    boolean capKeepAlive = KeepAliveDeadline.capped(keepAlive, limits.maxKeepAlive());
    MqttProperties p =
        protocol.connackProperties(
            limits,
            capKeepAlive,
            grantedExpiry != terms.requestedExpiry ? grantedExpiry : -1,
            terms.assignedClientId ? terms.clientId : null);
    String authMethod = MqttAuthData.of(endpoint).method();
    if (authMethod != null && p != MqttProperties.NO_PROPERTIES) {
      // MQTT 5 section 4.12: the CONNACK of an enhanced authentication names its method (clients
      // check it)
      p.add(new MqttProperties.StringProperty(MqttProperties.AUTHENTICATION_METHOD, authMethod));
    }
    return p;
  }

  private void refuse(ReasonCode reason, String detail) {
    metrics.connectRefused(reason);
    SocketAddress remote = endpoint.remoteAddress();
    String address = remote == null ? null : remote.hostAddress();
    mistakes.info(
        address,
        "connect refused: client '{}' from {}: {}{}",
        terms.clientId,
        address,
        reason,
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
    return Math.min(
        limits.maxSessionExpiry(),
        services.namespace().get().settings().maximumSessionExpiryInHours() * 3600L);
  }
}
