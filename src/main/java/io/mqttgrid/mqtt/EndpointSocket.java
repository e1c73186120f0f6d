package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Four things vertx-mqtt 5.1.1 cannot do, done on the endpoint's socket (reached by reflection on
 * vertx-mqtt's endpoint; should that fail with a later vertx-mqtt, the broker falls back to
 * vertx-mqtt's own behaviour).
 *
 * <p>Holding back the packets a client sends after CONNECT until the CONNACK is out: MQTT (3.1.1
 * and 5, section 3.1.4) lets a client send packets without waiting for CONNACK, but vertx-mqtt
 * closes a connection on any packet that arrives before the application accepted the CONNECT, and
 * this broker accepts asynchronously (it reads the session store first). vertx-mqtt has no hook for
 * this, so the endpoint's socket is paused while the CONNECT is handled: packets that arrive
 * meanwhile wait in Vert.x's inbound queue and are handled after the CONNACK.
 *
 * <p>Pausing a connection's reading for flow control (a 3.1.1 client's unacknowledged publishes at
 * the Receive Maximum, {@link InboundPublishes}): vertx-mqtt's endpoint has no pause.
 *
 * <p>Writing a PUBLISH without copying its payload: vertx-mqtt's {@code publish} takes a Vert.x
 * buffer and copies the payload twice more on the way to the encoder (which copies it once into the
 * socket's buffer anyway), under a lock, and maps the write's future; a subscriber's deliveries are
 * most of what a broker writes.
 *
 * <p>Answering a client's faulty DISCONNECT with DISCONNECT 0x82 (MQTT-3.14.2-2): vertx-mqtt closes
 * the endpoint itself after the client's DISCONNECT, so the answer is written without closing.
 */
final class EndpointSocket {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointSocket.class);
  private static final Field SOCKET = socketField();

  private EndpointSocket() {}

  /** Writes a v5 DISCONNECT with {@code reason} and leaves the closing to vertx-mqtt. */
  static boolean writeDisconnect(MqttEndpoint endpoint, ReasonCode reason) {
    if (!(socket(endpoint) instanceof NetSocketInternal s)) {
      return false;
    }
    s.writeMessage(MqttMessageBuilders.disconnect().reasonCode(reason.byteValue()).build());
    return true;
  }

  /** The socket's Netty pipeline; null when the socket is not reachable. */
  static ChannelPipeline pipeline(MqttEndpoint endpoint) {
    return socket(endpoint) instanceof NetSocketInternal s
        ? s.channelHandlerContext().pipeline()
        : null;
  }

  /** The connection's writer of PUBLISH packets; null when the socket is not reachable. */
  static PublishWriter publishWriter(MqttEndpoint endpoint) {
    return socket(endpoint) instanceof NetSocketInternal s ? new PublishWriter(s) : null;
  }

  /**
   * Writes PUBLISH packets whose payload is the message's own array (wrapped, not copied: a
   * published message's payload is never changed once published). On the connection's event loop.
   */
  static final class PublishWriter {
    private final NetSocketInternal socket;

    private PublishWriter(NetSocketInternal socket) {
      this.socket = socket;
    }

    Future<Void> write(
        String topic,
        byte[] payload,
        MqttQoS qos,
        boolean dup,
        boolean retain,
        int packetId,
        MqttProperties properties) {
      return socket.writeMessage(
          new MqttPublishMessage(
              new MqttFixedHeader(MqttMessageType.PUBLISH, dup, qos, retain, 0),
              new MqttPublishVariableHeader(topic, packetId, properties),
              Unpooled.wrappedBuffer(payload)));
    }
  }

  /**
   * Lets the connection hold the flushes of what it writes outside a read (a subscriber's
   * deliveries, taken in by batches on its event loop) and flush once at the end of the batch:
   * Vert.x flushes every write made outside a read at once, one system call per packet, and
   * vertx-mqtt's endpoint has no write without flush. Null when the socket is not reachable.
   */
  static HeldFlushes heldFlushes(MqttEndpoint endpoint) {
    if (!(socket(endpoint) instanceof NetSocketInternal s)) {
      return null;
    }
    try {
      HeldFlushes held = new HeldFlushes();
      s.channelHandlerContext().pipeline().addFirst("heldFlushes", held);
      return held;
    } catch (RuntimeException e) {
      // a pipeline that closed already
      return null;
    }
  }

  /**
   * Holds the flushes that pass it between {@link #hold} and {@link #release}, then flushes once.
   * On the channel's event loop only. Hand-written: Netty's {@code FlushConsolidationHandler}
   * consolidates within reads, or outside them by a flush task queued on the event loop for every
   * flush, which costs a task per read of every connection; this one is explicit and costs nothing
   * when not holding.
   */
  static final class HeldFlushes extends ChannelOutboundHandlerAdapter {

    /**
     * Bytes left below the channel's write high-water mark (64 KiB by default) under which to
     * flush.
     */
    private static final long FLUSH_BEFORE_UNWRITABLE = 32 * 1024;

    private ChannelHandlerContext ctx;
    private int holds;
    private boolean flushHeld;

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
      this.ctx = context;
    }

    @Override
    public void flush(ChannelHandlerContext context) {
      if (holds > 0 && context.channel().bytesBeforeUnwritable() > FLUSH_BEFORE_UNWRITABLE) {
        flushHeld = true;
      } else {
        // flushed before the unflushed bytes reach the channel's high-water mark: beyond it Vert.x
        // queues every write until the channel reports itself writable again, a task later each
        flushHeld = false;
        context.flush();
      }
    }

    @Override
    public void close(ChannelHandlerContext context, ChannelPromise promise) {
      flushNow();
      context.close(promise);
    }

    void hold() {
      holds++;
    }

    void release() {
      if (holds > 0 && --holds == 0) {
        flushNow();
      }
    }

    private void flushNow() {
      if (flushHeld && ctx != null) {
        flushHeld = false;
        ctx.flush();
      }
    }
  }

  /** Stops reading the endpoint's packets; whether it could (see the class comment). */
  static boolean hold(MqttEndpoint endpoint) {
    NetSocket socket = socket(endpoint);
    if (socket != null) {
      socket.pause();
      return true;
    }
    return false;
  }

  static void release(MqttEndpoint endpoint) {
    NetSocket socket = socket(endpoint);
    if (socket != null) {
      socket.resume();
    }
  }

  /**
   * The TLS client certificate chain, leaf first; empty without TLS or without a client certificate
   * (the listeners request one but do not require it: JWT and webhook clients present none, spec
   * section 1.1).
   */
  static java.util.List<java.security.cert.X509Certificate> peerCertificates(
      MqttEndpoint endpoint) {
    if (!endpoint.isSsl() || endpoint.sslSession() == null) {
      return java.util.List.of();
    }
    try {
      java.util.List<java.security.cert.X509Certificate> chain = new java.util.ArrayList<>();
      for (java.security.cert.Certificate c : endpoint.sslSession().getPeerCertificates()) {
        if (c instanceof java.security.cert.X509Certificate x) {
          chain.add(x);
        }
      }
      return chain;
    } catch (javax.net.ssl.SSLPeerUnverifiedException noClientCertificate) {
      return java.util.List.of();
    }
  }

  private static NetSocket socket(MqttEndpoint endpoint) {
    if (SOCKET == null || !SOCKET.getDeclaringClass().isInstance(endpoint)) {
      return null;
    }
    try {
      return (NetSocket) SOCKET.get(endpoint);
    } catch (IllegalAccessException e) {
      return null;
    }
  }

  private static Field socketField() {
    try {
      Field f = Class.forName("io.vertx.mqtt.impl.MqttEndpointImpl").getDeclaredField("conn");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "packets sent before CONNACK will close the connection (vertx-mqtt internals changed: {})",
          e.toString());
      return null;
    }
  }
}
