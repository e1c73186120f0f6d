package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import io.mqttgrid.wire.VarInt;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.util.ReferenceCountUtil;
import io.vertx.mqtt.messages.codes.MqttAuthenticateReasonCode;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubCompReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRelReasonCode;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two Netty handlers around the MQTT decoder of one client socket that stop bad input before
 * vertx-mqtt sees it. vertx-mqtt answers a packet sent before CONNECT, an invalid reason code or a
 * second CONNECT by throwing from its message handler (an ERROR with a stack trace per packet, up
 * to a thousand per read) or by replacing the connection's endpoint (the first one then never
 * learns that its socket closed, and its session stays online); it has no hook to do otherwise, so
 * these handlers go into its pipeline (see {@link GuardedMqttServer}).
 *
 * <p>The framer, ahead of the decoder, hands the decoder whole packets only: the first must be a
 * CONNECT no larger than {@code mqtt.max-connect-size} (nothing larger is buffered for an
 * unauthenticated socket), later ones no larger than the maximum packet size, and each must pass
 * {@link RawPacketRules}. The guard, behind the decoder, refuses what the decoded packet shows: a
 * decoding failure, a second CONNECT, an invalid reason code.
 *
 * <p>On the first violation the socket is closed, after a DISCONNECT with the reason when the
 * client speaks MQTT 5 and was sent its CONNACK (a server sends no DISCONNECT before that,
 * MQTT-3.14.0-1); everything the client sent after the violation is dropped, and one line is logged
 * (rate-limited per source address).
 *
 * <p>On a socket the node took over its connection cap only to say so, the guard answers the
 * CONNECT itself with a refusing CONNACK (0x97 Quota exceeded in MQTT 5, 0x03 Server unavailable in
 * 3.1.1) and closes; vertx-mqtt never sees it.
 */
final class InboundGuard {

  private static final Logger LOG = LoggerFactory.getLogger("io.mqttgrid.mqtt.ClientInput");

  static final String FRAMER = "mqttgridFramer";
  static final String GUARD = "mqttgridGuard";
  static final String WS_AGGREGATOR = "mqttgridWebSocketAggregator";
  static final String WS_GUARD = "mqttgridWebSocketGuard";

  private final String address;
  private final String listener;
  private final int maxConnectSize;
  private final int maxPacketSize;
  private final ClientMistakeLog mistakes;
  private final boolean overCapacity;
  private final Runnable onAccepted;

  private boolean connectSeen;
  private int protocolVersion;
  private boolean accepted;
  private boolean closing;
  private long decoded;

  InboundGuard(
      String address,
      String listener,
      int maxConnectSize,
      int maxPacketSize,
      ClientMistakeLog mistakes,
      boolean overCapacity,
      Runnable onAccepted) {
    this.address = address;
    this.listener = listener;
    this.maxConnectSize = maxConnectSize;
    this.maxPacketSize = maxPacketSize;
    this.mistakes = mistakes;
    this.overCapacity = overCapacity;
    this.onAccepted = onAccepted;
  }

  static Logger logger() {
    return LOG;
  }

  /**
   * Puts the framer before and the guard after vertx-mqtt's decoder (named "mqttDecoder" in its
   * pipeline).
   */
  void install(ChannelPipeline pipeline) {
    pipeline.addBefore("mqttDecoder", FRAMER, new Framer());
    pipeline.addAfter("mqttDecoder", GUARD, new Guard());
    if (pipeline.get("webSocketHandler") != null) {
      pipeline.addAfter(
          "webSocketHandler", WS_AGGREGATOR, new WebSocketFrameAggregator(maxPacketSize));
      pipeline.addAfter(WS_AGGREGATOR, WS_GUARD, new WebSocketGuard(address, mistakes));
    }
  }

  boolean accepted() {
    return accepted;
  }

  private void violation(ChannelHandlerContext ctx, ReasonCode reason, String detail) {
    if (closing) {
      return;
    }
    closing = true;
    mistakes.info(
        address,
        "client input refused from {} ({}): {}{}, closing",
        address,
        listener,
        detail,
        accepted && protocolVersion == 5 ? " (DISCONNECT " + reason + ")" : "");
    if (accepted && protocolVersion == 5 && ctx.channel().isActive()) {
      ctx.writeAndFlush(MqttMessageBuilders.disconnect().reasonCode(reason.byteValue()).build())
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  /** Cuts the byte stream into whole packets and checks each before the decoder reads it. */
  private final class Framer extends ChannelInboundHandlerAdapter {
    private ByteBuf cumulation;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf in)) {
        ctx.fireChannelRead(msg);
        return;
      }
      if (closing) {
        in.release();
        return;
      }
      cumulation =
          cumulation == null
              ? in
              : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
      try {
        while (!closing && cumulation.isReadable()) {
          ByteBuf packet = nextPacket(ctx);
          if (packet == null) {
            break;
          }
          RawPacketRules.Violation v = RawPacketRules.check(packet, protocolVersion);
          if (v != null) {
            packet.release();
            violation(ctx, v.reason(), v.detail());
            break;
          }
          long before = decoded;
          ctx.fireChannelRead(packet);
          if (decoded == before && !closing) {
            // a whole packet the decoder still waits on: it read a length past the packet's end
            violation(ctx, ReasonCode.MALFORMED_PACKET, "packet not decodable");
          }
        }
      } finally {
        if (closing || !cumulation.isReadable()) {
          cumulation.release();
          cumulation = null;
        } else if (cumulation.refCnt() == 1) {
          // compacting moves the unread bytes over the ones handed on; while a packet handed on
          // is still referenced (a decoded PUBLISH's payload is a slice of them until vertx-mqtt
          // copies it, later when the socket is paused or the guard holds it), they must stay
          cumulation.discardSomeReadBytes();
        }
      }
    }

    /** The next whole packet, or null when more bytes are needed (or the stream broke a rule). */
    private ByteBuf nextPacket(ChannelHandlerContext ctx) {
      int start = cumulation.readerIndex();
      int available = cumulation.readableBytes();
      long read = VarInt.read(cumulation, start + 1, start + available);
      if (read == VarInt.INCOMPLETE) {
        return null;
      }
      if (read == VarInt.TOO_LONG) {
        violation(ctx, ReasonCode.MALFORMED_PACKET, "remaining length longer than 4 bytes");
        return null;
      }
      int remaining = VarInt.value(read);
      int type = cumulation.getUnsignedByte(start) >>> 4;
      long size = 1L + VarInt.length(read) + remaining;
      if (!connectSeen) {
        if (type != RawPacketRules.CONNECT) {
          violation(ctx, ReasonCode.PROTOCOL_ERROR, "packet type " + type + " before CONNECT");
          return null;
        }
        if (size > maxConnectSize) {
          violation(
              ctx,
              ReasonCode.PACKET_TOO_LARGE,
              "CONNECT of "
                  + size
                  + " bytes, more than "
                  + maxConnectSize
                  + " (mqtt.max-connect-size)");
          return null;
        }
      } else if (size > maxPacketSize) {
        violation(
            ctx,
            ReasonCode.PACKET_TOO_LARGE,
            "packet of "
                + size
                + " bytes, more than "
                + maxPacketSize
                + " (limits.max-packet-size)");
        return null;
      }
      if (available < size) {
        return null;
      }
      return cumulation.readRetainedSlice((int) size);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (cumulation != null) {
        cumulation.release();
        cumulation = null;
      }
    }
  }

  /** Judges each decoded packet; watches the CONNACK go out. */
  private final class Guard extends ChannelDuplexHandler {
    /**
     * Packets that arrived after the CONNECT, held here until the CONNACK accepts it. MQTT lets a
     * client send them at once (section 3.1.4) and the broker answers the CONNECT asynchronously;
     * were they passed on, they would wait in Vert.x's queue, out of this guard's reach, and reach
     * vertx-mqtt even when the CONNECT is refused or the connection closed meanwhile (it throws for
     * each). Reading stops meanwhile. Created for the first packet held: most clients wait for
     * their CONNACK, and an idle connection should not keep an empty deque's array (issue 15, heap
     * per connection).
     */
    private ArrayDeque<Object> held;

    private boolean holding;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      decoded++;
      if (closing) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (!(msg instanceof MqttMessage m)) {
        ctx.fireChannelRead(msg);
        return;
      }
      RawPacketRules.Violation refusal = refusal(m);
      if (refusal != null) {
        ReferenceCountUtil.release(msg);
        violation(ctx, refusal.reason(), refusal.detail());
        return;
      }
      if (holding || held != null && !held.isEmpty()) {
        if (held == null) {
          held = new ArrayDeque<>(4);
        }
        held.add(msg);
        return;
      }
      boolean connect =
          m.fixedHeader().messageType() == MqttMessageType.CONNECT && m.decoderResult().isSuccess();
      if (connect && overCapacity) {
        ReferenceCountUtil.release(msg);
        refuseOverCapacity(ctx);
        return;
      }
      ctx.fireChannelRead(msg);
      if (connect && !accepted && !closing) {
        holding = true;
        ctx.channel().config().setAutoRead(false);
      }
    }

    private void refuseOverCapacity(ChannelHandlerContext ctx) {
      closing = true;
      ctx.writeAndFlush(
              MqttMessageBuilders.connAck()
                  .returnCode(
                      protocolVersion == 5
                          ? MqttConnectReturnCode.CONNECTION_REFUSED_QUOTA_EXCEEDED
                          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE)
                  .build())
          .addListener(ChannelFutureListener.CLOSE);
    }

    private void releaseHeld(ChannelHandlerContext ctx) {
      boolean fired = false;
      while (held != null && !held.isEmpty()) {
        Object msg = held.poll();
        if (closing) {
          ReferenceCountUtil.release(msg);
        } else {
          ctx.fireChannelRead(msg);
          fired = true;
        }
      }
      if (fired) {
        ctx.fireChannelReadComplete();
      }
      if (!closing) {
        ctx.channel().config().setAutoRead(true);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      closing = true;
      releaseHeld(ctx);
      super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      while (held != null && !held.isEmpty()) {
        ReferenceCountUtil.release(held.poll());
      }
    }

    /** Why the decoded packet is refused, or null. */
    private RawPacketRules.Violation refusal(MqttMessage m) {
      DecoderResult result = m.decoderResult();
      if (!connectSeen) {
        connectSeen = true;
        if (result.isFailure()
            && result.cause() instanceof MqttUnacceptableProtocolVersionException) {
          return null; // vertx-mqtt answers CONNACK 0x01 (3.1.1) or 0x84 (5) and closes
        }
        if (result.isFailure()) {
          return malformed("malformed CONNECT (" + result.cause().getMessage() + ")");
        }
        if (m.fixedHeader().messageType() != MqttMessageType.CONNECT) {
          return protocolError("packet " + m.fixedHeader().messageType() + " before CONNECT");
        }
        protocolVersion = ((MqttConnectMessage) m).variableHeader().version();
        return null;
      }
      MqttMessageType type = m.fixedHeader() == null ? null : m.fixedHeader().messageType();
      if (type == MqttMessageType.CONNECT) {
        return protocolError("second CONNECT on one connection (MQTT-3.1.0-2)");
      }
      if (result.isFailure()) {
        return result.cause() instanceof TooLongFrameException
            ? new RawPacketRules.Violation(ReasonCode.PACKET_TOO_LARGE, result.cause().getMessage())
            : malformed("malformed packet (" + result.cause().getMessage() + ")");
      }
      if (type == MqttMessageType.CONNACK
          || type == MqttMessageType.SUBACK
          || type == MqttMessageType.UNSUBACK
          || type == MqttMessageType.PINGRESP) {
        // vertx-mqtt would pass these to the end of the pipeline, where they go unseen (MQTT 5
        // section 4.13)
        return protocolError(type + " is sent only by a server");
      }
      String invalid = invalidReasonCode(m, type);
      return invalid == null ? null : malformed(invalid);
    }

    private static RawPacketRules.Violation malformed(String detail) {
      return new RawPacketRules.Violation(ReasonCode.MALFORMED_PACKET, detail);
    }

    private static RawPacketRules.Violation protocolError(String detail) {
      return new RawPacketRules.Violation(ReasonCode.PROTOCOL_ERROR, detail);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof MqttConnAckMessage ack) {
        if (ack.variableHeader().connectReturnCode() == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
          if (!accepted) {
            accepted = true;
            onAccepted.run();
            if (holding) {
              holding = false;
              // after this write returns: the CONNACK goes out first, and vertx-mqtt counts the
              // client connected
              ctx.executor().execute(() -> releaseHeld(ctx));
            }
          }
        } else {
          closing = true; // a refused CONNECT: what the client sent after it is not read
        }
      } else if (msg instanceof MqttMessage m
          && m.fixedHeader().messageType() == MqttMessageType.DISCONNECT) {
        // the broker ends the connection: packets already received behind the one that made it do
        // so would
        // reach a vertx-mqtt endpoint that no longer counts as connected (it throws for each)
        closing = true;
      }
      ctx.write(msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
      closing = true;
      super.close(ctx, promise);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof DecoderException) {
        // the decoder could not read the input: a client mistake, not a server error for Vert.x to
        // log
        violation(
            ctx,
            cause instanceof TooLongFrameException
                ? ReasonCode.PACKET_TOO_LARGE
                : ReasonCode.MALFORMED_PACKET,
            "undecodable input (" + cause.getMessage() + ")");
      } else {
        ctx.fireExceptionCaught(cause);
      }
    }
  }

  /**
   * A reason code outside the packet's table (MQTT 5 sections 3.4.2.1 to 3.7.2.1, 3.14.2.1,
   * 3.15.2.1): the tables are vertx-mqtt's, which throws on any other value. Netty reads a reason
   * byte from an MQTT 3.1.1 acknowledgement too when the client sends one more byte than 3.1.1
   * allows, so this holds for every version.
   */
  private static String invalidReasonCode(MqttMessage m, MqttMessageType type) {
    byte code;
    if (m.variableHeader() instanceof MqttPubReplyMessageVariableHeader h) {
      code = h.reasonCode();
    } else if (m.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h) {
      code = h.reasonCode();
    } else {
      return null;
    }
    try {
      switch (type) {
        case PUBACK -> MqttPubAckReasonCode.valueOf(code);
        case PUBREC -> MqttPubRecReasonCode.valueOf(code);
        case PUBREL -> MqttPubRelReasonCode.valueOf(code);
        case PUBCOMP -> MqttPubCompReasonCode.valueOf(code);
        case DISCONNECT -> MqttDisconnectReasonCode.valueOf(code);
        case AUTH -> MqttAuthenticateReasonCode.valueOf(code);
        default -> {
          return null;
        }
      }
      return null;
    } catch (IllegalArgumentException e) {
      return "invalid reason code 0x" + Integer.toHexString(code & 0xFF) + " in " + type;
    }
  }
}
