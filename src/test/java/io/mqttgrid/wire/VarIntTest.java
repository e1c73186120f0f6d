package io.mqttgrid.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class VarIntTest {

  @Test
  void sizesFollowTheSpecBoundaries() {
    assertThat(VarInt.size(0)).isEqualTo(1);
    assertThat(VarInt.size(127)).isEqualTo(1);
    assertThat(VarInt.size(128)).isEqualTo(2);
    assertThat(VarInt.size(16_383)).isEqualTo(2);
    assertThat(VarInt.size(16_384)).isEqualTo(3);
    assertThat(VarInt.size(2_097_151)).isEqualTo(3);
    assertThat(VarInt.size(2_097_152)).isEqualTo(4);
  }

  @Test
  void largestRemainingLengthKeepsTheWholePacketWithinTheLimit() {
    for (int max : new int[] {64, 129, 130, 131, 16_386, 16_387, 524_288, 268_435_455}) {
      int r = VarInt.largestRemainingLength(max);
      assertThat(1 + VarInt.size(r) + r).isLessThanOrEqualTo(max);
      assertThat(1 + VarInt.size(r + 1) + r + 1).isGreaterThan(max);
    }
  }

  @Test
  void readGivesValueAndLength() {
    int[][] cases = {
      {0, 0x00},
      {127, 0x7F},
      {128, 0x80, 0x01},
      {16_383, 0xFF, 0x7F},
      {16_384, 0x80, 0x80, 0x01},
      {268_435_455, 0xFF, 0xFF, 0xFF, 0x7F}
    };
    for (int[] c : cases) {
      ByteBuf buf = Unpooled.buffer().writeByte(0x30);
      for (int i = 1; i < c.length; i++) {
        buf.writeByte(c[i]);
      }
      buf.writeByte(0x55); // what follows is not read
      long read = VarInt.read(buf, 1, buf.writerIndex());
      assertThat(VarInt.value(read)).isEqualTo(c[0]);
      assertThat(VarInt.length(read)).isEqualTo(c.length - 1).isEqualTo(VarInt.size(c[0]));
    }
  }

  @Test
  void readStopsAtTheEndAndAtAFifthByte() {
    ByteBuf buf =
        Unpooled.wrappedBuffer(
            new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
    for (int end = 0; end < 4; end++) {
      assertThat(VarInt.read(buf, 0, end)).isEqualTo(VarInt.INCOMPLETE);
    }
    assertThat(VarInt.read(buf, 0, 4)).isEqualTo(VarInt.TOO_LONG);
    assertThat(VarInt.read(buf, 0, 5)).isEqualTo(VarInt.TOO_LONG);
    assertThat(VarInt.read(buf, 1, 5))
        .isEqualTo(
            VarInt.read(
                Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01}),
                0,
                4));
  }
}
