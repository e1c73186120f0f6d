package io.mqttgrid.load.gatling;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Payloads that carry the moment they were sent, so whoever receives them (another virtual user, another
 * connection, a message that went in over HTTP) can report end-to-end delivery latency. The payload starts
 * with the send time in epoch milliseconds as ASCII digits, then a space, then filler up to the requested
 * size: readable in a broker's logs and parsable without any schema. The clock is the load generator's own,
 * so sender and receiver must run in the same JVM (they do: every scenario runs in one Gatling process).
 */
public final class TimestampedPayload {

  private static final int MIN_DIGITS = 10;

  private TimestampedPayload() {}

  /** A payload of exactly {@code size} bytes (more if the timestamp itself does not fit) stamped now. */
  public static byte[] create(long sentAtMillis, int size) {
    byte[] stamp = (sentAtMillis + " ").getBytes(StandardCharsets.US_ASCII);
    if (size <= stamp.length) {
      return stamp;
    }
    byte[] payload = Arrays.copyOf(stamp, size);
    Arrays.fill(payload, stamp.length, size, (byte) 'x');
    return payload;
  }

  /** The send time stamped into {@code payload}, or -1 when it carries none. */
  public static long sentAtMillis(byte[] payload) {
    long value = 0;
    int digits = 0;
    while (digits < payload.length && digits < 19) {
      byte b = payload[digits];
      if (b < '0' || b > '9') {
        break;
      }
      value = value * 10 + (b - '0');
      digits++;
    }
    boolean terminated = digits == payload.length || payload[digits] == ' ';
    return digits >= MIN_DIGITS && terminated ? value : -1;
  }
}
