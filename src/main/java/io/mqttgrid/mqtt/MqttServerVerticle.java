package io.mqttgrid.mqtt;

import io.mqttgrid.auth.DeferredClientCertificateTrust;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.TlsVersions;
import io.mqttgrid.wire.VarInt;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The MQTT listeners of one event loop: TCP, WebSocket, and TLS and secure WebSocket when a
 * certificate is configured. Deployed once per event loop; Vert.x spreads accepted sockets over the
 * instances.
 */
public final class MqttServerVerticle extends VerticleBase {

  /**
   * Where to listen. A port of -1 disables that listener; 0 picks a free one (tests). {@code
   * admission} is shared by every instance of the node; {@code maxConnectSize} caps the CONNECT of
   * an unauthenticated socket.
   */
  public record Listeners(
      String host,
      int tcpPort,
      int websocketPort,
      int tlsPort,
      int wssPort,
      String certFile,
      String keyFile,
      int connectTimeoutSeconds,
      ConnectionAdmission admission,
      int maxConnectSize) {}

  private final MqttServices services;
  private final Listeners listeners;
  private final List<MqttServer> servers = new ArrayList<>();

  /** The keep-alive deadlines of this verticle's connections, which run on its event loop. */
  private KeepAliveSweep keepAlives;

  public MqttServerVerticle(MqttServices services, Listeners listeners) {
    this.services = services;
    this.listeners = listeners;
  }

  @Override
  public Future<?> start() {
    keepAlives = new KeepAliveSweep(vertx);
    List<Future<MqttServer>> started = new ArrayList<>();
    started.add(listen(listeners.tcpPort(), false, false));
    started.add(listen(listeners.websocketPort(), true, false));
    if (!listeners.certFile().isBlank()) {
      started.add(listen(listeners.tlsPort(), false, true));
      started.add(listen(listeners.wssPort(), true, true));
    }
    return Future.all(started);
  }

  private Future<MqttServer> listen(int port, boolean websocket, boolean tls) {
    if (port < 0) {
      return Future.succeededFuture();
    }
    MqttLimits limits = services.limits();
    MqttServerOptions options =
        new MqttServerOptions()
            .setHost(listeners.host())
            .setPort(port)
            // the decoder counts the Remaining Length; the limit is on the whole packet (MQTT 5
            // section 3.1.2.11.4)
            .setMaxMessageSize(VarInt.largestRemainingLength(limits.maxPacketSize()))
            .setAutoClientId(false)
            .setMaxClientIdLength(Math.max(limits.maxClientIdLength(), 23) * 4)
            .setTimeoutOnConnect(listeners.connectTimeoutSeconds())
            .setUseWebSocket(websocket);
    if (websocket) {
      options.setWebSocketMaxFrameSize(limits.maxPacketSize() + 16);
    }
    if (tls) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(listeners.certFile())
                  .setKeyPath(listeners.keyFile()))
          // requested, not required: JWT and webhook clients have none (Event Grid's MQTT endpoint
          // rules). Any
          // certificate passes
          // the handshake (which still proves the private key); the namespace model's CAs and
          // thumbprints, which
          // change at run time, judge it at CONNECT (NamespaceAuthenticator)
          .setClientAuth(ClientAuth.REQUEST)
          .setTrustOptions(TrustOptions.wrap(DeferredClientCertificateTrust.INSTANCE));
      TlsVersions.apply(options);
    }
    String name =
        (tls ? (websocket ? "wss" : "tls") : (websocket ? "websocket" : "tcp")) + " " + port;
    MqttServer server =
        GuardedMqttServer.create(
            vertx,
            options,
            new GuardedMqttServer.Guarding(
                listeners.admission(),
                listeners.admission().mistakes(),
                name,
                listeners.maxConnectSize(),
                limits.maxPacketSize()));
    server.endpointHandler(
        endpoint ->
            new MqttConnection(
                    endpoint,
                    services,
                    vertx,
                    websocket,
                    listeners.admission().mistakes(),
                    keepAlives)
                .start());
    server.exceptionHandler(
        t -> {
          // TLS handshake failures and sockets reset by the client: the socket is closed, nothing
          // else to do
        });
    servers.add(server);
    String listener =
        "MQTT " + (tls ? (websocket ? "wss" : "tls") : (websocket ? "websocket" : "tcp"));
    // the operator needs to know which of the node's ports failed: Netty says only "Address already
    // in use"
    return server
        .listen()
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(
                        listener
                            + " listener cannot listen on "
                            + listeners.host()
                            + ":"
                            + port
                            + ": "
                            + e.getMessage(),
                        e)));
  }

  @Override
  public Future<?> stop() {
    keepAlives.stop();
    List<Future<Void>> closed = new ArrayList<>();
    for (MqttServer s : servers) {
      closed.add(s.close());
    }
    return Future.all(closed);
  }
}
