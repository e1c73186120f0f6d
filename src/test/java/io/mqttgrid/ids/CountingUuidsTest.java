package io.mqttgrid.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CountingUuidsTest {

  @Test
  void idsOfOneInstanceDoNotRepeatAndAreUuids() {
    CountingUuids ids = new CountingUuids();
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
    // a node restarted under the same node id must not reuse its predecessor's ids:
    // stored session records name connection ids
    CountingUuids before = new CountingUuids();
    CountingUuids after = new CountingUuids();
    Set<String> first = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      first.add(before.next());
    }
    for (int i = 0; i < 1_000; i++) {
      assertThat(first).doesNotContain(after.next());
    }
  }
}
