package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ConnectionIdsTest {

  @Test
  void idsOfOneInstanceDoNotRepeatAndAreUuids() {
    ConnectionIds ids = new ConnectionIds();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String id = ids.next();
      assertThat(seen.add(id)).as("id %s repeated", id).isTrue();
    }
    String one = ids.next();
    assertThat(UUID.fromString(one).toString()).isEqualTo(one);
    assertThat(UUID.fromString(one).variant()).isEqualTo(2);
  }

  @Test
  void twoInstancesDrawDifferentIds() {
    // a node restarted under the same node id must not reuse its predecessor's connection ids:
    // the stored records name them
    ConnectionIds before = new ConnectionIds();
    ConnectionIds after = new ConnectionIds();
    Set<String> first = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      first.add(before.next());
    }
    for (int i = 0; i < 1_000; i++) {
      assertThat(first).doesNotContain(after.next());
    }
  }
}
