package io.mqttgrid.wire;

/** Sizes of MQTT variable byte integers (section 1.5.5). */
public final class VarInt {

  private VarInt() {
  }

  public static int size(long value) {
    if (value < 128) {
      return 1;
    }
    if (value < 16_384) {
      return 2;
    }
    if (value < 2_097_152) {
      return 3;
    }
    return 4;
  }

  /** The largest Remaining Length whose whole packet (1 + length bytes + remaining) fits in {@code max}. */
  public static int largestRemainingLength(int maxPacketSize) {
    int remaining = maxPacketSize - 2;
    while (remaining > 0 && 1 + size(remaining) + remaining > maxPacketSize) {
      remaining--;
    }
    return remaining;
  }
}
