package io.mqttgrid.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalRouteCountsTest {

  private final LocalRouteCounts counts = new LocalRouteCounts();

  @Test
  void onlyTheFirstSubscriberAndTheLastChangeTheRoute() {
    assertTrue(counts.add("a/b"));
    assertFalse(counts.add("a/b"));
    assertFalse(counts.remove("a/b"));
    assertTrue(counts.remove("a/b"));
    // a withdrawal of a filter without a subscriber here changes nothing
    assertFalse(counts.remove("a/b"));
    assertTrue(counts.add("a/b"));
  }

  @Test
  void aBatchIsWrittenAsTheCountsSayWhenItGoesOut() {
    counts.add("kept");
    counts.add("gone");
    counts.remove("gone");
    counts.add("again");
    counts.remove("again");
    counts.add("again");
    assertEquals(Set.of("kept", "again"), counts.counted(List.of("kept", "gone", "again")));
    assertEquals(Set.of("kept", "again"), Set.copyOf(counts.filters()));
  }
}
