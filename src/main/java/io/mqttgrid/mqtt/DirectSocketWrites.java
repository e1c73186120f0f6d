package io.mqttgrid.mqtt;

import io.vertx.core.internal.net.NetSocketInternal;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;

/**
 * Gives an accepted MQTT socket Vert.x's direct outbound path instead of its multi-producer write
 * queue. Vert.x 5 builds every server socket with a queue that lets any thread write, whose first
 * chunk is a 1,024-slot array: about 4.5 KiB of an idle connection's ~12 KiB (issue 15, memory per
 * connection). MQTT Grid writes to a client socket only on that socket's event loop (a session
 * lives on its connection's context, and store callbacks come back to it), which is what Vert.x's
 * strict thread mode assumes; Vert.x offers that mode for HTTP/1 servers only ({@code
 * HttpServerOptions.setStrictThreadMode}), not for the {@code NetServer} under vertx-mqtt. So the
 * socket's queue is replaced, by reflection, with the one strict mode would have built, before
 * anything is written to it. Should Vert.x's internals change, the broker refuses to start rather
 * than run with a socket half changed.
 */
final class DirectSocketWrites {

  private static final String CONNECTION = "io.vertx.core.net.impl.VertxConnection";
  private static final Field QUEUE;
  private static final Constructor<?> DIRECT;

  static {
    try {
      Class<?> connection = Class.forName(CONNECTION);
      QUEUE = connection.getDeclaredField("outboundMessageQueue");
      QUEUE.setAccessible(true);
      DIRECT =
          Class.forName(CONNECTION + "$DirectOutboundMessageQueue")
              .getDeclaredConstructor(connection);
      DIRECT.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "Vert.x internals changed: cannot give MQTT sockets direct writes", e);
    }
  }

  private DirectSocketWrites() {}

  /** Fails (at start) when the internals it needs are not there. */
  static void check() {
    // the static initializer did the work
  }

  /** On the socket's event loop, before the socket is written to. */
  static void apply(NetSocketInternal socket) {
    try {
      QUEUE.set(socket, DIRECT.newInstance(socket));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "Vert.x internals changed: cannot give MQTT sockets direct writes", e);
    }
  }
}
