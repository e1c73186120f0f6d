package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.routing.QueueFullException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.List;
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
