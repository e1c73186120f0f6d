package io.mqttgrid.wire;

import io.netty.buffer.ByteBuf;

/**
 * MQTT variable byte integers (MQTT 5 section 1.5.5): their sizes, and reading one from received
 * bytes.
 */
public final class VarInt {

  /** {@link #read}: the bytes end before the integer does. */
  public static final long INCOMPLETE = -1;

  /** {@link #read}: a fourth byte says more follow; at most four are allowed. */
  public static final long TOO_LONG = -2;

  private VarInt() {}

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

  /**
   * The largest Remaining Length whose whole packet (1 + length bytes + remaining) fits in {@code
   * max}.
   */
  public static int largestRemainingLength(int maxPacketSize) {
    int remaining = maxPacketSize - 2;
    while (remaining > 0 && 1 + size(remaining) + remaining > maxPacketSize) {
      remaining--;
    }
    return remaining;
  }

  /**
   * The integer that starts at {@code index} of {@code buf}, reading no byte at or past {@code
   * end}: its value ({@link #value}) and how many bytes it took ({@link #length}) in one long, or
   * {@link #INCOMPLETE} or {@link #TOO_LONG}. Hand-written: Netty's MQTT decoder has the same loop,
   * but not as a method to call.
   */
  public static long read(ByteBuf buf, int index, int end) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      if (index + i >= end) {
        return INCOMPLETE;
      }
      int b = buf.getUnsignedByte(index + i);
      value |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        return (long) value << 3 | (i + 1);
      }
    }
    return TOO_LONG;
  }

  /** The value of a {@link #read} result that is neither INCOMPLETE nor TOO_LONG. */
  public static int value(long read) {
    return (int) (read >>> 3);
  }

  /** The bytes a {@link #read} integer took, 1 to 4. */
  public static int length(long read) {
    return (int) (read & 7);
  }
}
