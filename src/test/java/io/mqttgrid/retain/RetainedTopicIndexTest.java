package io.mqttgrid.retain;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetainedTopicIndexTest {

  private static RetainedTopicIndex indexOf(String... topics) {
    RetainedTopicIndex index = new RetainedTopicIndex();
    for (String t : topics) {
      index.add(t);
    }
    return index;
  }

  @Test
  void exactFilterFindsOnlyItsTopic() {
    RetainedTopicIndex index = indexOf("a/b", "a/b/c", "a", "b/b");
    assertThat(index.match("a/b")).containsExactly("a/b");
    assertThat(index.match("a/x")).isEmpty();
    assertThat(index.match("a/b/c/d")).isEmpty();
  }

  @Test
  void plusFindsOneLevelIncludingEmptyLevels() {
    RetainedTopicIndex index = indexOf("a/b", "a/c", "a/b/c", "a/", "a", "x/b");
    assertThat(index.match("a/+")).containsExactlyInAnyOrder("a/b", "a/c", "a/");
    assertThat(index.match("+/b")).containsExactlyInAnyOrder("a/b", "x/b");
    assertThat(index.match("+")).containsExactly("a");
    assertThat(index.match("+/+/c")).containsExactly("a/b/c");
  }

  @Test
  void hashFindsTheParentAndEverythingBelow() {
    RetainedTopicIndex index = indexOf("a", "a/b", "a/b/c", "ab", "b/a", "/a");
    assertThat(index.match("a/#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c");
    assertThat(index.match("a/b/#")).containsExactlyInAnyOrder("a/b", "a/b/c");
    assertThat(index.match("#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c", "ab", "b/a", "/a");
    assertThat(index.match("+/#"))
        .containsExactlyInAnyOrder("a", "a/b", "a/b/c", "ab", "b/a", "/a");
    assertThat(index.match("/#")).containsExactly("/a");
  }

  @Test
  void leadingWildcardsSkipDollarTopics() {
    RetainedTopicIndex index = indexOf("$SYS/uptime", "$internal", "sys/uptime", "a/$b");
    assertThat(index.match("#")).containsExactlyInAnyOrder("sys/uptime", "a/$b");
    assertThat(index.match("+/uptime")).containsExactly("sys/uptime");
    assertThat(index.match("+")).isEmpty();
    assertThat(index.match("$SYS/#")).containsExactly("$SYS/uptime");
    assertThat(index.match("$SYS/+")).containsExactly("$SYS/uptime");
    assertThat(index.match("a/+")).containsExactly("a/$b");
  }

  @Test
  void addingATopicTwiceCountsOnce() {
    RetainedTopicIndex index = indexOf("a/b", "a/b", "a/c");
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.match("a/#")).containsExactlyInAnyOrder("a/b", "a/c");
  }

  @Test
  void removedTopicIsNoLongerFoundButItsNeighboursAre() {
    RetainedTopicIndex index = indexOf("a", "a/b", "a/b/c");
    index.remove("a/b");
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.match("a/#")).containsExactlyInAnyOrder("a", "a/b/c");
    assertThat(index.match("a/b")).isEmpty();
    index.remove("a/b/c");
    assertThat(index.match("a/#")).containsExactly("a");
    assertThat(index.match("a/+/+")).isEmpty();
    index.remove("a");
    assertThat(index.size()).isZero();
    assertThat(index.match("#")).isEmpty();
  }

  @Test
  void removingAnUnknownTopicChangesNothing() {
    RetainedTopicIndex index = indexOf("a/b");
    index.remove("a");
    index.remove("a/b/c");
    index.remove("x");
    assertThat(index.size()).isEqualTo(1);
    assertThat(index.match("#")).containsExactly("a/b");
  }

  @Test
  void topicCanBeAddedAgainAfterRemoval() {
    RetainedTopicIndex index = indexOf("a/b");
    index.remove("a/b");
    index.add("a/b");
    assertThat(index.size()).isEqualTo(1);
    assertThat(index.match("a/+")).containsExactly("a/b");
  }

  /** Many topics: every filter finds exactly the topics the MQTT matching rule selects. */
  @Test
  void agreesWithTopicMatchingOverManyTopics() {
    Random random = new Random(42);
    String[] levels = {"site1", "site2", "dev", "temp", "hum", "", "$x", "a"};
    RetainedTopicIndex index = new RetainedTopicIndex();
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + random.nextInt(5);
      for (int l = 0; l < n; l++) {
        sb.append(l == 0 ? "" : "/")
            .append(levels[random.nextInt(levels.length)])
            .append(l == 2 ? i % 7 : "");
      }
      String t = sb.toString();
      if (!t.isEmpty() && !topics.contains(t)) {
        topics.add(t);
        index.add(t);
      }
    }
    // take out a third again, as empty retained messages would
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < topics.size(); i++) {
      if (i % 3 == 0) {
        index.remove(topics.get(i));
      } else {
        kept.add(topics.get(i));
      }
    }
    assertThat(index.size()).isEqualTo(kept.size());
    String[] filters = {
      "#",
      "+",
      "+/#",
      "site1/#",
      "site1/+",
      "site1/+/temp3",
      "+/+/+",
      "+/dev/#",
      "/#",
      "$x/#",
      "+/+/+/+/+",
      "site2/dev/hum1/a",
      "a/+/#",
      "+//#",
      "$x/+/+"
    };
    for (String f : filters) {
      List<String> expected = kept.stream().filter(t -> Topics.matches(f, t)).toList();
      assertThat(index.match(f)).as(f).containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}
