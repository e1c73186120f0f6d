package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.routing.QueueFullException;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A publish sent to another node comes back whole: the plain flag, the shared groups, then the
 * message.
 */
class NodeMessagesTest {

  static PublishedMessage message() {
    return new PublishedMessage(
        "node-a:7",
        "a/b",
        new byte[] {1, 2, 3},
        1,
        false,
        "pub",
        10L,
        70_010L,
        0,
        "text/plain",
        "reply/here",
        new byte[] {4, 5},
        List.of(new UserProperty("n", "v")));
  }

  @Test
  void plainWithSharedGroupsRoundTrips() {
    List<String> groups = List.of("$share/g1/a/+", "$share/gr\u00fcn/a/#");
    NodeMessages.Delivery d = NodeMessages.decode(NodeMessages.encode(message(), true, groups));
    assertThat(d.plain()).isTrue();
    assertThat(d.sharedGroups()).containsExactlyElementsOf(groups);
    assertThat(d.message()).usingRecursiveComparison().isEqualTo(message());
    assertThat(d.message().payload()).containsExactly(1, 2, 3);
    assertThat(d.message().correlationData()).containsExactly(4, 5);
    assertThat(d.message().userProperties()).containsExactly(new UserProperty("n", "v"));
  }

  @Test
  void sharedOnlyWithoutPlain() {
    NodeMessages.Delivery d =
        NodeMessages.decode(NodeMessages.encode(message(), false, List.of("$share/g/#")));
    assertThat(d.plain()).isFalse();
    assertThat(d.sharedGroups()).containsExactly("$share/g/#");
    assertThat(d.message().id()).isEqualTo("node-a:7");
  }

  @Test
  void noGroupsAndBareMessage() {
    PublishedMessage bare =
        new PublishedMessage(
            "x", "t", new byte[0], 0, true, null, 1L, 0L, -1, null, null, null, null);
    NodeMessages.Delivery d = NodeMessages.decode(NodeMessages.encode(bare, true, List.of()));
    assertThat(d.plain()).isTrue();
    assertThat(d.sharedGroups()).isEmpty();
    assertThat(d.message()).usingRecursiveComparison().isEqualTo(bare);
    assertThat(d.message().correlationData()).isNull();
    assertThat(d.message().retain()).isTrue();
  }

  @Test
  void aBatchKeepsItsPublishesAndTheirOrder() {
    PublishedMessage second =
        new PublishedMessage(
            "x", "t/2", new byte[300], 2, true, null, 1L, 0L, -1, null, null, null, null);
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, message(), true, List.of("$share/g1/a/+"));
    NodeMessages.append(batch, second, false, List.of());
    NodeMessages.append(batch, message(), false, List.of("$share/a/#", "$share/b/#"));
    List<NodeMessages.Delivery> ds = NodeMessages.decodeBatch(NodeMessages.seal(batch, 3));
    assertThat(ds).hasSize(3);
    assertThat(ds.get(0).plain()).isTrue();
    assertThat(ds.get(0).sharedGroups()).containsExactly("$share/g1/a/+");
    assertThat(ds.get(0).message()).usingRecursiveComparison().isEqualTo(message());
    assertThat(ds.get(1).plain()).isFalse();
    assertThat(ds.get(1).sharedGroups()).isEmpty();
    assertThat(ds.get(1).message()).usingRecursiveComparison().isEqualTo(second);
    assertThat(ds.get(2).sharedGroups()).containsExactly("$share/a/#", "$share/b/#");
  }

  @Test
  void aBatchCutShortIsRefused() {
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, message(), true, List.of());
    Buffer whole = NodeMessages.seal(batch, 1);
    assertThatThrownBy(() -> NodeMessages.decodeBatch(whole.getBuffer(0, whole.length() - 5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NodeMessages.decodeBatch(whole.copy().setInt(0, 2)))
        .isInstanceOf(RuntimeException.class);
  }

  /** Every MQTT 5 property a message carries, at its edges (empty strings, repeated names). */
  static PublishedMessage withEveryProperty(byte[] payload, String topic) {
    return new PublishedMessage(
        "n\u00f6de-b:" + Long.MAX_VALUE,
        topic,
        payload,
        2,
        true,
        "publisher-\u4e2d",
        1_700_000_000_000L,
        1_700_000_000_000L + 4_294_967_295_000L,
        1,
        "application/json; charset=utf-8",
        "reply/\u00fc/\ud83d\ude00",
        new byte[] {0, -1, 127, -128},
        List.of(
            new UserProperty("k", "v1"),
            new UserProperty("k", "v2"),
            new UserProperty("", ""),
            new UserProperty("\u00e9t\u00e9", "\ud83d\ude00".repeat(100))));
  }

  /**
   * Field by field (AssertJ's recursive comparison takes seconds over a megabyte of payload), the
   * arrays by content.
   */
  static void assertSameMessage(PublishedMessage actual, PublishedMessage expected) {
    assertThat(actual)
        .usingRecursiveComparison()
        .ignoringFields("payload", "correlationData")
        .isEqualTo(expected);
    assertThat(Arrays.equals(actual.payload(), expected.payload())).isTrue();
    assertThat(Arrays.equals(actual.correlationData(), expected.correlationData())).isTrue();
    assertThat(actual.correlationData() == null).isEqualTo(expected.correlationData() == null);
  }

  @Test
  void everyMqtt5PropertyRoundTripsInABatch() {
    PublishedMessage full = withEveryProperty(new byte[] {9, 8, 7}, "a/\u00fc/b");
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, full, true, List.of("$share/\u00fc/a/#"));
    NodeMessages.Delivery d = NodeMessages.decodeBatch(NodeMessages.seal(batch, 1)).get(0);
    assertSameMessage(d.message(), full);
    assertThat(d.message().userProperties()).containsExactlyElementsOf(full.userProperties());
    assertThat(d.sharedGroups()).containsExactly("$share/\u00fc/a/#");
  }

  @Test
  void emptyAndLargePayloadsRoundTripBesideEachOther() {
    byte[] large = new byte[1 << 20];
    new Random(42).nextBytes(large);
    // the longest topic MQTT allows, in multi-byte characters
    String longTopic = "\u00fc".repeat(32_767);
    PublishedMessage empty =
        new PublishedMessage(
            "e", "t", new byte[0], 1, false, null, 1L, 0L, -1, null, null, new byte[0], null);
    PublishedMessage big = withEveryProperty(large, longTopic);
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, empty, true, List.of());
    NodeMessages.append(batch, big, false, List.of("$share/g/#"));
    NodeMessages.append(batch, empty, false, List.of(""));
    List<NodeMessages.Delivery> ds = NodeMessages.decodeBatch(NodeMessages.seal(batch, 3));
    assertThat(ds).hasSize(3);
    assertSameMessage(ds.get(0).message(), empty);
    assertThat(ds.get(0).message().payload()).isEmpty();
    assertThat(ds.get(0).message().correlationData()).isEmpty();
    assertSameMessage(ds.get(1).message(), big);
    assertThat(ds.get(1).message().payload()).isEqualTo(large);
    assertThat(ds.get(1).message().topic()).isEqualTo(longTopic);
    assertThat(ds.get(2).sharedGroups()).containsExactly("");
    assertThat(ds.get(2).plain()).isFalse();
  }

  @Test
  void aPublishIsWrittenAsTheMessagesOwnBytesSoNodesOfEitherVersionReadEachOther() {
    PublishedMessage full = withEveryProperty(new byte[] {1, 2}, "x/y");
    List<String> groups = List.of("$share/a/x/+", "$share/b/#");
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, full, true, groups);
    NodeMessages.seal(batch, 1);
    // the batch as a node that copied each message through PublishedMessage.toBytes() wrote it
    Buffer publish = Buffer.buffer().appendByte((byte) 1).appendInt(groups.size());
    for (String g : groups) {
      byte[] bytes = g.getBytes(StandardCharsets.UTF_8);
      publish.appendInt(bytes.length).appendBytes(bytes);
    }
    publish.appendBytes(full.toBytes());
    Buffer before = Buffer.buffer().appendInt(1).appendInt(publish.length()).appendBuffer(publish);
    assertThat(batch.getBytes()).isEqualTo(before.getBytes());
  }

  @Test
  void aBatchIsReadInPlaceFromWhereverItLiesInTheReceivedFrame() {
    Buffer batch = NodeMessages.newBatch();
    NodeMessages.append(batch, message(), true, List.of("$share/g/#"));
    NodeMessages.append(batch, withEveryProperty(new byte[100], "z"), false, List.of());
    byte[] sealed = NodeMessages.seal(batch, 2).getBytes();
    // the batch in the middle of a larger frame, as a slice of it (no copy)
    byte[] frame = new byte[sealed.length + 20];
    System.arraycopy(sealed, 0, frame, 13, sealed.length);
    Buffer inFrame = BufferInternal.buffer(Unpooled.wrappedBuffer(frame).slice(13, sealed.length));
    List<NodeMessages.Delivery> ds = NodeMessages.decodeBatch(inFrame);
    assertSameMessage(ds.get(0).message(), message());
    assertThat(ds.get(0).sharedGroups()).containsExactly("$share/g/#");
    assertSameMessage(ds.get(1).message(), withEveryProperty(new byte[100], "z"));
  }

  @Test
  void outcomesComeBackAsEachPublishersFutureSeesThem() {
    List<Future<Integer>> outcomes =
        List.of(
            Future.succeededFuture(4),
            Future.failedFuture(new QueueFullException("full up")),
            Future.failedFuture(
                new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 404, "no r\u00f6ute")),
            Future.failedFuture(new IllegalStateException("broken")),
            Future.succeededFuture(0));
    List<Future<Integer>> back = NodeMessages.decodeOutcomes(NodeMessages.encodeOutcomes(outcomes));
    assertThat(back).hasSize(5);
    assertThat(back.get(0).result()).isEqualTo(4);
    assertThat(back.get(1).cause()).isInstanceOf(QueueFullException.class).hasMessage("full up");
    assertThat(back.get(2).cause())
        .isInstanceOfSatisfying(
            ReplyException.class,
            r -> {
              assertThat(r.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
              assertThat(r.failureCode()).isEqualTo(404);
              assertThat(r.getMessage()).isEqualTo("no r\u00f6ute");
            });
    assertThat(back.get(3).cause())
        .isInstanceOfSatisfying(
            ReplyException.class,
            r -> {
              assertThat(r.failureCode()).isEqualTo(500);
              assertThat(r.getMessage()).isEqualTo("broken");
            });
    assertThat(back.get(4).result()).isZero();
  }
}
