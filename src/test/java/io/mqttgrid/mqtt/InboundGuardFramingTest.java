package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The framer hands the decoder slices of the bytes it read, and a decoded PUBLISH's payload is a
 * slice of those same bytes until vertx-mqtt copies it when it handles the packet. That can be
 * later than the read: while a 3.1.1 publisher's reading is held at the Receive Maximum, or while a
 * CONNECT is answered, decoded packets wait in Vert.x's inbound queue (or in the guard). Bytes read
 * meanwhile must not overwrite theirs: before, the framer compacted its buffer after each read,
 * moving the next packet's first bytes over the ones it had handed on, so a held PUBLISH reached
 * its subscribers with part of a later one's payload (the throughput table's persistent 3.1.1 cell
 * delivered hundreds of messages twice and as many never).
 */
class InboundGuardFramingTest {

  /** Keeps every decoded packet as Vert.x's paused inbound queue does: unread, not released. */
  private static final class HeldPackets extends ChannelInboundHandlerAdapter {
    final List<Object> held = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      held.add(msg);
    }
  }

  @Test
  void aPublishWaitingToBeHandledKeepsItsPayloadWhileLaterBytesAreRead() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("mqttDecoder", new MqttDecoder());
    HeldPackets packets = new HeldPackets();
    channel.pipeline().addLast(packets);
    new InboundGuard(
            "127.0.0.1",
            "test",
            65_536,
            65_536,
            new ClientMistakeLog(LoggerFactory.getLogger(InboundGuardFramingTest.class)),
            false,
            () -> {})
        .install(channel.pipeline());

    channel.writeInbound(Unpooled.wrappedBuffer(new Connect("held-publisher").encode(4)));
    channel.writeOutbound(
        MqttMessageBuilders.connAck()
            .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED)
            .build());
    channel.runPendingTasks();

    byte[] first = Packets.publish(4, "t/a", payload('a', 48), 1, 1);
    byte[] second = Packets.publish(4, "t/a", payload('b', 48), 1, 2);
    byte[] third = Packets.publish(4, "t/a", payload('c', 48), 1, 3);
    // one read: the first PUBLISH whole and most of the second, as a socket read cuts a stream
    int cut = second.length - 4;
    channel.writeInbound(buffer(first, Arrays.copyOfRange(second, 0, cut)));
    // the next read: the rest of the second and the third
    channel.writeInbound(buffer(Arrays.copyOfRange(second, cut, second.length), third));

    List<String> payloads = new ArrayList<>();
    for (Object p : packets.held) {
      if (p instanceof MqttPublishMessage publish) {
        payloads.add(publish.payload().toString(StandardCharsets.US_ASCII));
      }
      ReferenceCountUtil.release(p);
    }
    assertThat(payloads)
        .containsExactly(
            new String(payload('a', 48), StandardCharsets.US_ASCII),
            new String(payload('b', 48), StandardCharsets.US_ASCII),
            new String(payload('c', 48), StandardCharsets.US_ASCII));
    channel.finishAndReleaseAll();
  }

  private static byte[] payload(char c, int length) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) c);
    return b;
  }

  /** A buffer as a socket read leaves it: its capacity is what was read, so compacting moves. */
  private static ByteBuf buffer(byte[] a, byte[] b) {
    ByteBuf buf = Unpooled.buffer(a.length + b.length, a.length + b.length);
    buf.writeBytes(a).writeBytes(b);
    return buf;
  }
}
