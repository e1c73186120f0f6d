package io.mqttgrid.mqtt;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * A vertx-mqtt server whose sockets pass {@link ConnectionAdmission} when accepted and get an
 * {@link InboundGuard} in their pipeline. vertx-mqtt 5.1.1 builds each socket's pipeline inside its
 * own connect handler and offers no hook; so the server's NetServer (a private field, reached by
 * reflection) is wrapped: the wrapper's connect handler refuses a socket the admission turns away,
 * lets vertx-mqtt build the pipeline, then adds the guard. Should vertx-mqtt's internals change,
 * the broker refuses to start rather than run unguarded.
 */
final class GuardedMqttServer {

  /** What every socket of one listener is held to. */
  record Guarding(
      ConnectionAdmission admission,
      ClientMistakeLog mistakes,
      String listener,
      int maxConnectSize,
      int maxPacketSize) {}

  private static final Field NET_SERVER = netServerField();

  private GuardedMqttServer() {}

  static MqttServer create(Vertx vertx, MqttServerOptions options, Guarding guarding) {
    DirectSocketWrites.check();
    MqttServer server = MqttServer.create(vertx, options);
    try {
      NetServer real = (NetServer) NET_SERVER.get(server);
      NET_SERVER.set(server, wrap(real, guarding));
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("vertx-mqtt internals changed: cannot guard MQTT sockets", e);
    }
    return server;
  }

  private static NetServer wrap(NetServer real, Guarding guarding) {
    return (NetServer)
        Proxy.newProxyInstance(
            GuardedMqttServer.class.getClassLoader(),
            new Class<?>[] {NetServer.class},
            (proxy, method, args) -> {
              if (method.getName().equals("connectHandler") && args != null && args.length == 1) {
                @SuppressWarnings("unchecked")
                Handler<NetSocket> mqttHandler = (Handler<NetSocket>) args[0];
                real.connectHandler(socket -> accept(socket, mqttHandler, guarding));
                return proxy;
              }
              try {
                Object result = method.invoke(real, args);
                return result == real ? proxy : result;
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static void accept(NetSocket socket, Handler<NetSocket> mqttHandler, Guarding guarding) {
    String address = address(socket.remoteAddress());
    ConnectionAdmission admission = guarding.admission();
    ConnectionAdmission.Refusal refusal = admission.admit(address);
    if (refusal != null) {
      admission.refused(refusal, address);
      if (refusal == ConnectionAdmission.Refusal.TOO_MANY_CONNECTIONS
          && admission.answerOverCap()) {
        // read the CONNECT (through vertx-mqtt's decoder, under its connect timeout) only to
        // answer it: the guard refuses it and vertx-mqtt never sees it
        handOver(
            socket,
            mqttHandler,
            guard(address, guarding, true, () -> {}),
            admission::answeredOverCap);
        return;
      }
      socket.close();
      return;
    }
    InboundGuard guard = guard(address, guarding, false, () -> admission.authenticated(address));
    DirectSocketWrites.apply((NetSocketInternal) socket);
    handOver(socket, mqttHandler, guard, () -> admission.closed(address, guard.accepted()));
  }

  /**
   * Lets vertx-mqtt build the socket's pipeline, then puts {@code guard} in front of it; {@code
   * onClose} runs when the socket closes, whoever closes it.
   */
  private static void handOver(
      NetSocket socket, Handler<NetSocket> mqttHandler, InboundGuard guard, Runnable onClose) {
    NetSocketInternal internal = (NetSocketInternal) socket;
    internal.channelHandlerContext().channel().closeFuture().addListener(f -> onClose.run());
    mqttHandler.handle(socket);
    guard.install(internal.channelHandlerContext().pipeline());
  }

  /**
   * The client's IP address as text. Vert.x's address of the socket holds it already as its host
   * (an accepted socket's address is numeric) while {@code hostAddress()} makes a new string at
   * every call: the connection keeps one copy, not two (56 B of every connection).
   */
  private static String address(SocketAddress remote) {
    String ip = remote == null ? null : remote.hostAddress();
    if (ip == null) {
      return "?";
    }
    String host = remote.host();
    return ip.equals(host) ? host : ip;
  }

  private static InboundGuard guard(
      String address, Guarding guarding, boolean overCapacity, Runnable onAccepted) {
    return new InboundGuard(
        address,
        guarding.listener(),
        guarding.maxConnectSize(),
        guarding.maxPacketSize(),
        guarding.mistakes(),
        overCapacity,
        onAccepted);
  }

  private static Field netServerField() {
    try {
      Field f = Class.forName("io.vertx.mqtt.impl.MqttServerImpl").getDeclaredField("server");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("vertx-mqtt internals changed: cannot guard MQTT sockets", e);
    }
  }
}
