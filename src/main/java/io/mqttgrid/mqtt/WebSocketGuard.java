package io.mqttgrid.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * What reaches vertx-mqtt's WebSocket pipeline past Netty's handshake handler that is not an MQTT
 * binary frame: a plain HTTP request for another path (answered 404 instead of left unanswered
 * until the handshake timeout), a text frame (MQTT-6.0.0-1: the connection is closed), a frame with
 * reserved bits that no negotiated extension used (RFC 6455 section 5.2: fail the connection). It
 * sits behind a {@link io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator}, so a
 * CONNECT split over fragmented frames arrives as one binary frame.
 */
final class WebSocketGuard extends ChannelInboundHandlerAdapter {

  private final String address;
  private final ClientMistakeLog mistakes;
  private boolean closing;

  WebSocketGuard(String address, ClientMistakeLog mistakes) {
    this.address = address;
    this.mistakes = mistakes;
  }

  /**
   * Netty's frame decoder found a broken frame (it has sent its close frame): not an error of the
   * server.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) {
      if (!closing) {
        closing = true;
        mistakes.info(address, "websocket client {}: {}, closing", address, cause.getMessage());
      }
      ctx.close();
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof BinaryWebSocketFrame frame && frame.rsv() == 0) {
      ctx.fireChannelRead(msg);
      return;
    }
    closing = true;
    try {
      if (msg instanceof HttpRequest request) {
        mistakes.info(
            address, "websocket request from {} for '{}' refused: 404", address, request.uri());
        FullHttpResponse notFound =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.NOT_FOUND,
                Unpooled.copiedBuffer(
                    "MQTT over WebSocket is served on /mqtt\n", StandardCharsets.UTF_8));
        notFound
            .headers()
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, notFound.content().readableBytes())
            .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(notFound).addListener(ChannelFutureListener.CLOSE);
      } else if (msg instanceof WebSocketFrame frame) {
        boolean reserved = frame.rsv() != 0;
        mistakes.info(
            address,
            "websocket client {}: {}, closing",
            address,
            reserved
                ? "frame with reserved bits set"
                : frame.getClass().getSimpleName() + " instead of a binary frame");
        WebSocketCloseStatus status =
            reserved
                ? WebSocketCloseStatus.PROTOCOL_ERROR
                : WebSocketCloseStatus.INVALID_MESSAGE_TYPE;
        ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }
}
