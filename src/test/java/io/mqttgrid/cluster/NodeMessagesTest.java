package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
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
}
