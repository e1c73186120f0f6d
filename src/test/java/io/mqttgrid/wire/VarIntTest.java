package io.mqttgrid.wire;

import static org.assertj.core.api.Assertions.assertThat;

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
}
