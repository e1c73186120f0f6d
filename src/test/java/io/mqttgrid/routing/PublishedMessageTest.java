package io.mqttgrid.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binary form of a message (Hazelcast-stored session queues and node-to-node sends): every
 * field comes back as it went in, absent optionals stay absent, and an unknown format is refused.
 */
class PublishedMessageTest {

  /**
   * Every field set, each to a value no other field has, so that two swapped fields cannot pass.
   */
  static PublishedMessage full() {
    return new PublishedMessage(
        "node-a:42",
        "sensors/\u00e9t\u00e9/1",
        new byte[] {0, 1, 2, (byte) 0xff},
        2,
        true,
        "publisher-1",
        1_700_000_000_000L,
        1_700_000_060_000L,
        1,
        "application/json",
        "replies/1",
        new byte[] {9, 8, 7},
        List.of(
            new UserProperty("k1", "v1"),
            new UserProperty("k1", "v2"),
            new UserProperty("\u00fcml", "")));
  }

  /** Only the required fields: every optional absent. */
  static PublishedMessage bare() {
    return new PublishedMessage(
        "node-b:1", "t", new byte[0], 0, false, null, 5L, 0L, -1, null, null, null, null);
  }

  static void assertSame(PublishedMessage actual, PublishedMessage expected) {
    assertThat(actual).usingRecursiveComparison().isEqualTo(expected);
    // the recursive comparison compares arrays by content; say so explicitly for the byte fields
    assertThat(actual.payload()).isEqualTo(expected.payload());
    assertThat(actual.correlationData()).isEqualTo(expected.correlationData());
  }

  @Test
  void everyFieldSurvivesTheRoundTrip() {
    PublishedMessage m = full();
    PublishedMessage back = PublishedMessage.fromBytes(m.toBytes());
    assertSame(back, m);
    assertThat(back.id()).isEqualTo("node-a:42");
    assertThat(back.topic()).isEqualTo("sensors/\u00e9t\u00e9/1");
    assertThat(back.qos()).isEqualTo(2);
    assertThat(back.retain()).isTrue();
    assertThat(back.publisherClientId()).isEqualTo("publisher-1");
    assertThat(back.createdAtMillis()).isEqualTo(1_700_000_000_000L);
    assertThat(back.expiresAtMillis()).isEqualTo(1_700_000_060_000L);
    assertThat(back.payloadFormat()).isEqualTo(1);
    assertThat(back.contentType()).isEqualTo("application/json");
    assertThat(back.responseTopic()).isEqualTo("replies/1");
    assertThat(back.correlationData()).containsExactly(9, 8, 7);
    // order and duplicates of user properties are part of the message (MQTT-3.3.2-18)
    assertThat(back.userProperties())
        .containsExactly(
            new UserProperty("k1", "v1"),
            new UserProperty("k1", "v2"),
            new UserProperty("\u00fcml", ""));
  }

  @Test
  void absentOptionalsStayAbsent() {
    PublishedMessage back = PublishedMessage.fromBytes(bare().toBytes());
    assertSame(back, bare());
    assertThat(back.publisherClientId()).isNull();
    assertThat(back.contentType()).isNull();
    assertThat(back.responseTopic()).isNull();
    assertThat(back.correlationData()).isNull();
    assertThat(back.payloadFormat()).isEqualTo(-1);
    assertThat(back.expiresAtMillis()).isZero();
    assertThat(back.userProperties()).isEmpty();
    assertThat(back.isExpired(Long.MAX_VALUE)).isFalse();
  }

  /**
   * The bytes are the format's, field by field, whatever path writes a string (ASCII without an
   * array of its own, other strings as UTF-8): stored queues written before must still read.
   */
  @Test
  void theBinaryFormIsTheFormatFieldByField() throws Exception {
    PublishedMessage m =
        new PublishedMessage(
            "msg-1",
            "sensors/\u00e9t\u00e9/1",
            new byte[] {1, 2, 3},
            1,
            true,
            "pub",
            5L,
            9L,
            1,
            "text/plain",
            null,
            new byte[] {4},
            List.of(new UserProperty("k", "\ud83d\ude00")));
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(expected);
    out.writeByte(1);
    utf8(out, "msg-1");
    utf8(out, "sensors/\u00e9t\u00e9/1");
    out.writeInt(3);
    out.write(new byte[] {1, 2, 3});
    out.writeByte(1);
    out.writeBoolean(true);
    out.writeBoolean(true);
    utf8(out, "pub");
    out.writeLong(5L);
    out.writeLong(9L);
    out.writeByte(1);
    out.writeBoolean(true);
    utf8(out, "text/plain");
    out.writeBoolean(false);
    out.writeInt(1);
    out.write(new byte[] {4});
    out.writeInt(1);
    utf8(out, "k");
    utf8(out, "\ud83d\ude00");
    assertThat(m.toBytes()).isEqualTo(expected.toByteArray());
  }

  private static void utf8(java.io.DataOutputStream out, String s) throws java.io.IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  @Test
  void emptyIsNotAbsent() {
    PublishedMessage m =
        new PublishedMessage(
            "id", "t", new byte[0], 1, false, "", 1L, 0L, 0, "", "", new byte[0], List.of());
    PublishedMessage back = PublishedMessage.fromBytes(m.toBytes());
    assertThat(back.publisherClientId()).isEmpty();
    assertThat(back.contentType()).isEmpty();
    assertThat(back.responseTopic()).isEmpty();
    assertThat(back.correlationData()).isNotNull().isEmpty();
    assertThat(back.payloadFormat()).isZero();
  }

  @Test
  void stringsLongerThanWriteUtfAllowsRoundTrip() {
    // 65,535 bytes of three-byte characters: beyond DataOutput.writeUTF's limit
    String topic = "\u20ac".repeat(21_845);
    assertThat(topic.getBytes(StandardCharsets.UTF_8)).hasSize(65_535);
    byte[] payload = new byte[200_000];
    Arrays.fill(payload, (byte) 7);
    PublishedMessage m =
        new PublishedMessage(
            "id",
            topic,
            payload,
            1,
            false,
            null,
            1L,
            0L,
            -1,
            null,
            null,
            null,
            List.of(new UserProperty(topic, topic)));
    PublishedMessage back = PublishedMessage.fromBytes(m.toBytes());
    // plain equality: a recursive comparison walks the 200,000 bytes one object at a time
    assertThat(back.topic().equals(topic)).isTrue();
    assertThat(Arrays.equals(back.payload(), payload)).isTrue();
    assertThat(back.userProperties()).isEqualTo(m.userProperties());
  }

  @Test
  void anUnknownFormatIsRefused() {
    byte[] bytes = full().toBytes();
    bytes[0] = 2;
    assertThatThrownBy(() -> PublishedMessage.fromBytes(bytes))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("unknown message format 2");
  }

  @Test
  void aTruncatedMessageIsRefused() {
    byte[] bytes = full().toBytes();
    assertThatThrownBy(() -> PublishedMessage.fromBytes(Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void publishedAtKeepsTheExpiryInterval() {
    PublishedMessage m = full().publishedAt(2_000_000_000_000L);
    assertThat(m.createdAtMillis()).isEqualTo(2_000_000_000_000L);
    assertThat(m.expiresAtMillis()).isEqualTo(2_000_000_060_000L);
    assertThat(m.remainingExpirySeconds(2_000_000_000_001L)).isEqualTo(60);
    assertThat(bare().publishedAt(99L).expiresAtMillis()).isZero();
    assertThat(bare().remainingExpirySeconds(99L)).isEqualTo(-1);
  }
}
