package io.mqttgrid.load.gatling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TimestampedPayloadTest {

  @Test
  void sendTimeIsReadBackFromAPayloadOfTheRequestedSize() {
    byte[] payload = TimestampedPayload.create(1_795_312_600_565L, 256);
    assertEquals(256, payload.length);
    assertEquals(1_795_312_600_565L, TimestampedPayload.sentAtMillis(payload));
  }

  @Test
  void payloadSmallerThanTheStampKeepsTheWholeStamp() {
    byte[] payload = TimestampedPayload.create(1_795_312_600_565L, 4);
    assertEquals("1795312600565 ", new String(payload, StandardCharsets.US_ASCII));
    assertEquals(1_795_312_600_565L, TimestampedPayload.sentAtMillis(payload));
  }

  @Test
  void payloadWithoutStampHasNoSendTime() {
    assertEquals(-1, TimestampedPayload.sentAtMillis("on".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(-1, TimestampedPayload.sentAtMillis("42 degrees".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(-1, TimestampedPayload.sentAtMillis("1795312600565x".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(-1, TimestampedPayload.sentAtMillis(new byte[0]));
  }
}
