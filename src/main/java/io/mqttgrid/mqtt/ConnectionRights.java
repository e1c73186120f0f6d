package io.mqttgrid.mqtt;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ClientResource;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.auth.Credentials;
import io.mqttgrid.events.DisconnectionReason;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.Session;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.MqttAuthenticationExchangeMessage;
import io.vertx.mqtt.messages.codes.MqttAuthenticateReasonCode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who an authenticated client is and what it may do, over the life of its connection: the rights
 * follow the version of the node's namespace model (recomputed when a newer one arrives, whatever
 * the order of CONNECT and change), expiring credentials end the connection, and MQTT 5
 * re-authentication replaces them (Event Grid's JWT and credential-lifetime rules). Kept apart from
 * the CONNECT because all of it can happen at any time afterwards.
 */
final class ConnectionRights {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionRights.class);

  private final MqttConnection connection;
  private final MqttEndpoint endpoint;
  private final MqttServices services;
  private final Vertx vertx;
  private final Context context;

  /**
   * Who the client is and what it may do; set once authenticated, recomputed when the model
   * changes.
   */
  private ClientIdentity identity;

  private Permissions permissions = Permissions.NONE;

  /**
   * The version of the node's model that {@link #permissions} and {@link #registryEntry} were taken
   * from.
   */
  private long rightsVersion = -1;

  /**
   * The registry entry the client authenticated against (REGISTRY identities), to notice its
   * changes.
   */
  private ClientResource registryEntry;

  private long credentialTimer = -1;

  ConnectionRights(
      MqttConnection connection,
      MqttEndpoint endpoint,
      MqttServices services,
      Vertx vertx,
      Context context) {
    this.connection = connection;
    this.endpoint = endpoint;
    this.services = services;
    this.vertx = vertx;
    this.context = context;
  }

  /**
   * The credentials a client presents on this socket: its CONNECT's, or an AUTH packet's method and
   * data.
   */
  static Credentials credentials(
      MqttEndpoint endpoint,
      String clientId,
      String username,
      byte[] password,
      String method,
      byte[] data) {
    SocketAddress remote = endpoint.remoteAddress();
    return new Credentials(
        clientId,
        username,
        password,
        method,
        data,
        remote == null ? null : remote.hostAddress(),
        isLoopback(remote),
        EndpointSocket.peerCertificates(endpoint));
  }

  /**
   * The identity the CONNECT's credentials proved: takes its rights from the node's model. For a
   * client of the registry, the reason it may not connect after all (see {@link #followModel}), or
   * null.
   */
  String authenticated(ClientIdentity who) {
    identity = who;
    return followModel();
  }

  Permissions permissions() {
    return permissions;
  }

  /** Who the client is, as of the namespace model it follows; null before it authenticated. */
  ClientIdentity identity() {
    return identity;
  }

  /**
   * A token, webhook decision or certificate that expires ends the connection then (Event Grid's
   * credential-lifetime rules).
   */
  void watchCredentialExpiry() {
    if (credentialTimer >= 0) {
      vertx.cancelTimer(credentialTimer);
      credentialTimer = -1;
    }
    if (identity == null || identity.expiresAtMillis() == 0) {
      return;
    }
    long delay = Math.max(1, identity.expiresAtMillis() - System.currentTimeMillis());
    credentialTimer =
        vertx.setTimer(
            delay,
            t -> {
              credentialTimer = -1;
              LOG.info(
                  "client {}: credentials of '{}' expired, disconnecting",
                  connection.clientId(),
                  identity.authenticationName());
              connection.disconnect(ReasonCode.NOT_AUTHORIZED);
            });
  }

  /** The connection closed. */
  void stop() {
    if (credentialTimer >= 0) {
      vertx.cancelTimer(credentialTimer);
    }
  }

  /**
   * MQTT 5 re-authentication (AUTH 0x19) with a fresh token of the same identity (as Event Grid
   * allows for JWT clients).
   */
  void onAuth(MqttAuthenticationExchangeMessage m) {
    connection.touch();
    if (identity == null || connection.closed()) {
      return;
    }
    if (m.reasonCode() != MqttAuthenticateReasonCode.RE_AUTHENTICATE) {
      // no multi-step challenges are offered (Event Grid offers none either)
      connection.disconnect(ReasonCode.PROTOCOL_ERROR);
      return;
    }
    MqttAuthData original = MqttAuthData.of(endpoint);
    if (m.authenticationMethod() == null || !m.authenticationMethod().equals(original.method())) {
      connection.disconnect(ReasonCode.PROTOCOL_ERROR); // MQTT-4.12.1-1: the method of the CONNECT
      return;
    }
    byte[] data = m.authenticationData() == null ? null : m.authenticationData().getBytes();
    Credentials credentials =
        credentials(
            endpoint,
            connection.clientId(),
            original.username(),
            original.password(),
            m.authenticationMethod(),
            data);
    services
        .authenticator()
        .authenticate(credentials)
        .onComplete(
            ar -> {
              if (connection.closed()) {
                return;
              }
              if (ar.failed()
                  || !ar.result().isAllowed()
                  || !NamespaceModel.foldCase(ar.result().authenticationName())
                      .equals(NamespaceModel.foldCase(identity.authenticationName()))) {
                LOG.info(
                    "client {}: re-authentication refused{}",
                    connection.clientId(),
                    ar.succeeded() && ar.result().detail() != null
                        ? " (" + ar.result().detail() + ")"
                        : "");
                connection.disconnect(ReasonCode.NOT_AUTHORIZED);
                return;
              }
              identity = ar.result().identity();
              watchCredentialExpiry();
              recheckRights();
              if (!connection.closed()) {
                // MQTT 3.15.2.2.2: an AUTH packet names its method
                MqttProperties props = new MqttProperties();
                props.add(
                    new MqttProperties.StringProperty(
                        MqttProperties.AUTHENTICATION_METHOD, m.authenticationMethod()));
                endpoint.authenticationExchange(
                    MqttAuthenticationExchangeMessage.create(
                        MqttAuthenticateReasonCode.SUCCESS, props));
              }
            });
  }

  /**
   * Called from any thread when the namespace model changed, and once the connection is in the
   * registry (a change may have come while the CONNECT was handled): checked on this connection's
   * event loop.
   */
  void namespaceChanged() {
    context.runOnContext(
        v -> {
          if (!connection.closed() && identity != null && rightsOutdated()) {
            recheckRights();
          }
        });
  }

  /**
   * Before a PUBLISH or SUBSCRIBE is authorized: takes the rights again if the node's model is
   * newer than the one they were taken from. False when that ended the connection.
   */
  boolean current() {
    return !rightsOutdated() || recheckRights();
  }

  /** Whether the node's model is newer than the one the rights were taken from: a volatile read. */
  private boolean rightsOutdated() {
    return services.access().modelVersion() != rightsVersion;
  }

  /**
   * Takes the registry entry and rights from the node's current model. For a client of the
   * registry, the reason it may not stay (its entry "deleted", "disabled" or "changed":
   * credentials, validation scheme), or null; its attributes follow the entry.
   */
  private String followModel() {
    // read first: rights taken from a later model than this are merely taken again at the next
    // check
    long version = services.access().modelVersion();
    if (identity.authority() == ClientIdentity.Authority.REGISTRY) {
      ClientResource now =
          services.namespace().get().clientByAuthenticationName(identity.authenticationName());
      if (now == null
          || !now.enabled()
          || (registryEntry != null
              && (now.validationScheme() != registryEntry.validationScheme()
                  || !now.allowedThumbprints().equals(registryEntry.allowedThumbprints())
                  || !Objects.equals(now.passwordHash(), registryEntry.passwordHash())))) {
        return now == null ? "deleted" : !now.enabled() ? "disabled" : "changed";
      }
      registryEntry = now;
      if (!now.attributes().equals(identity.attributes())) {
        identity =
            new ClientIdentity(
                identity.authenticationName(),
                now.attributes(),
                identity.authority(),
                identity.expiresAtMillis());
      }
    }
    permissions = services.access().permissionsFor(identity);
    rightsVersion = version;
    return null;
  }

  /**
   * Recomputes the rights from the node's current model; a client deleted, disabled or changed in
   * the registry, or holding a subscription no longer granted, is disconnected (Event Grid's
   * credential-lifetime rules, ClientAuthenticationError / ClientAuthorizationError). Lost publish
   * rights show at the next PUBLISH (0x87). False when the connection is ended.
   */
  private boolean recheckRights() {
    String gone = followModel();
    if (gone != null) {
      LOG.info(
          "client {}: client '{}' was {} in the registry, disconnecting",
          connection.clientId(),
          identity.authenticationName(),
          gone);
      connection.disconnect(ReasonCode.NOT_AUTHORIZED);
      return false;
    }
    Session session = connection.session();
    if (session == null) {
      return true;
    }
    for (Subscription s : session.subscriptions()) {
      if (!permissions.canSubscribe(s.filter())) {
        LOG.info(
            "client {}: subscription '{}' is no longer granted, disconnecting",
            connection.clientId(),
            s.filter());
        services.metrics().sessionDropped(MqttMetrics.DROP_AUTHORIZATION_ERROR);
        connection.disconnect(
            ReasonCode.NOT_AUTHORIZED, DisconnectionReason.CLIENT_AUTHORIZATION_ERROR);
        return false;
      }
    }
    return true;
  }

  private static boolean isLoopback(SocketAddress remote) {
    if (remote == null || remote.hostAddress() == null) {
      return false;
    }
    try {
      return InetAddress.getByName(remote.hostAddress()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
