package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.RawMqttClient.Props;
import io.mqttgrid.wire.ReasonCode;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class RawPacketRulesTest {

  private static RawPacketRules.Violation check(byte[] packet, int version) {
    return RawPacketRules.check(Unpooled.wrappedBuffer(packet), version);
  }

  private static void assertViolation(
      byte[] packet, int version, ReasonCode reason, String detailPart) {
    RawPacketRules.Violation v = check(packet, version);
    assertThat(v).as("violation for %s", java.util.HexFormat.of().formatHex(packet)).isNotNull();
    assertThat(v.reason()).isEqualTo(reason);
    assertThat(v.detail()).contains(detailPart);
  }

  @Test
  void wellFormedPacketsPass() {
    assertThat(
            check(
                new Connect("c").properties(new Props().u32(0x11, 60).u16(0x21, 10)).encode(5), 0))
        .isNull();
    assertThat(check(new Connect("c").will("w", "bye".getBytes(), 1, false, null).encode(4), 0))
        .isNull();
    assertThat(check(new Connect("c").will("w", "bye".getBytes(), 1, false, null).encode(5), 0))
        .isNull();
    assertThat(check(Packets.publish(5, "a/b", "payload".getBytes(), 1, 7), 5)).isNull();
    assertThat(check(Packets.publish(4, "a/b", "payload".getBytes(), 0, 0), 4)).isNull();
    assertThat(check(Packets.subscribe(5, 1, "a/#", 2), 5)).isNull();
    assertThat(check(Packets.subscribe(4, 1, "a/#", 1), 4)).isNull();
    assertThat(check(Packets.puback(3), 5)).isNull();
    assertThat(check(new byte[] {0x40, 3, 0, 3, 0x10}, 5)).isNull();
    assertThat(check(Packets.disconnect(), 5)).isNull();
    assertThat(check(Packets.pingreq(), 4)).isNull();
    // user properties may repeat
    assertThat(
            check(
                new byte[] {
                  0x30, 18, 0, 1, 't', 14, 0x26, 0, 1, 'k', 0, 1, 'v', 0x26, 0, 1, 'k', 0, 1, 'w'
                },
                5))
        .isNull();
  }

  @Test
  void lengthsPastTheEndAreMalformed() {
    assertViolation(
        new byte[] {0x30, 4, 0, 9, 'a', 'b'}, 5, ReasonCode.MALFORMED_PACKET, "past the end");
    assertViolation(
        new byte[] {0x30, 5, 0, 1, 't', 0x7F, 0},
        5,
        ReasonCode.MALFORMED_PACKET,
        "property length");
    assertViolation(
        new byte[] {0x30, 5, 0, 1, 't', (byte) 0xFF, (byte) 0xFF},
        5,
        ReasonCode.MALFORMED_PACKET,
        "past the end");
    assertViolation(
        new byte[] {(byte) 0x82, 5, 0, 1, 0, 0, 9}, 5, ReasonCode.MALFORMED_PACKET, "past the end");
  }

  @Test
  void propertiesAreCheckedByTheirIdentifier() {
    assertViolation(
        Packets.publish(
            5, "t".getBytes(), new byte[0], 0, 0, new Props().u32(0x02, 1).u32(0x02, 2)),
        5,
        ReasonCode.PROTOCOL_ERROR,
        "given twice");
    assertViolation(
        new byte[] {0x30, 6, 0, 1, 't', 2, 0x7E, 0},
        5,
        ReasonCode.MALFORMED_PACKET,
        "unknown property");
    assertViolation(
        new byte[] {0x30, 6, 0, 1, 't', 2, 0x0B, 1},
        5,
        ReasonCode.PROTOCOL_ERROR,
        "Subscription Identifier");
    assertViolation(
        Packets.publish(5, "t".getBytes(), new byte[0], 0, 0, new Props().string(0x08, "a/#")),
        5,
        ReasonCode.PROTOCOL_ERROR,
        "Response Topic");
    assertViolation(
        new Connect("c").properties(new Props().string(0x16, "data")).encode(5),
        0,
        ReasonCode.PROTOCOL_ERROR,
        "Authentication Data without");
    assertThat(
            check(
                new Connect("c")
                    .properties(new Props().string(0x15, "m").string(0x16, "d"))
                    .encode(5),
                0))
        .isNull();
    // a property whose value runs past its section
    assertViolation(
        new byte[] {0x30, 10, 0, 1, 't', 2, 0x02, 0, 0, 0, 'p', 'q'},
        5,
        ReasonCode.MALFORMED_PACKET,
        "runs past its property section");
  }

  @Test
  void subscribeAndUnsubscribeRules() {
    assertViolation(
        new byte[] {(byte) 0x82, 3, 0, 1, 0}, 5, ReasonCode.PROTOCOL_ERROR, "SUBSCRIBE without");
    assertViolation(
        new byte[] {(byte) 0x82, 2, 0, 1}, 4, ReasonCode.PROTOCOL_ERROR, "SUBSCRIBE without");
    assertViolation(
        new byte[] {(byte) 0xA2, 3, 0, 1, 0}, 5, ReasonCode.PROTOCOL_ERROR, "UNSUBSCRIBE without");
    assertViolation(
        new byte[] {(byte) 0x82, 7, 0, 1, 0, 0, 1, 'a', 0x40},
        5,
        ReasonCode.MALFORMED_PACKET,
        "reserved");
    assertViolation(
        new byte[] {(byte) 0x82, 6, 0, 1, 0, 1, 'a', 0x04},
        4,
        ReasonCode.MALFORMED_PACKET,
        "reserved");
    // No Local, Retain As Published and Retain Handling are MQTT 5 options, not reserved bits there
    assertThat(check(new byte[] {(byte) 0x82, 7, 0, 1, 0, 0, 1, 'a', 0x2D}, 5)).isNull();
  }

  @Test
  void connectRules() {
    byte[] passwordOnly =
        Packets.packet(
            0x10, new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 60, 0, 1, 'i', 0, 2, 'p', 'w'});
    assertViolation(passwordOnly, 0, ReasonCode.MALFORMED_PACKET, "password without user name");
    byte[] v5PasswordOnly =
        Packets.packet(
            0x10,
            new byte[] {0, 4, 'M', 'Q', 'T', 'T', 5, 0x42, 0, 60, 0, 0, 1, 'i', 0, 2, 'p', 'w'});
    assertThat(check(v5PasswordOnly, 0)).isNull(); // MQTT 5 allows a password alone
    byte[] truncated = new Connect("client-id").encode(5);
    truncated[1] -= 3;
    assertViolation(
        java.util.Arrays.copyOf(truncated, truncated.length - 3),
        0,
        ReasonCode.MALFORMED_PACKET,
        "past the end");
  }

  @Test
  void serverOnlyPacketsAreProtocolErrors() {
    for (int type : new int[] {2, 9, 11, 13}) {
      assertViolation(
          new byte[] {(byte) (type << 4), 0}, 5, ReasonCode.PROTOCOL_ERROR, "only by a server");
    }
  }

  @Test
  void bytesAfterTheFieldsAreMalformed() {
    assertViolation(
        new byte[] {(byte) 0xE0, 3, 0, 0, 5}, 5, ReasonCode.MALFORMED_PACKET, "after the end");
    assertThat(check(new byte[] {(byte) 0xE0, 2, 0, 0}, 5)).isNull();
  }
}
