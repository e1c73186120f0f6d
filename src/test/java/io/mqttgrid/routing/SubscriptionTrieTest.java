package io.mqttgrid.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SubscriptionTrieTest {

  private static List<String> matches(SubscriptionTrie<String> trie, String topic) {
    List<String> out = new ArrayList<>();
    trie.match(topic, out::add);
    return out;
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(textBlock = TopicsTest.MATCH_CASES)
  void trieMatchesAsMqtt47Says(String filter, String topic, boolean expected) {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add(filter, "v");
    // a few neighbours that must not disturb the result
    trie.add("zz/top", "other");
    trie.add("zz/+", "other");
    assertThat(matches(trie, topic).contains("v")).isEqualTo(expected);
  }

  @Test
  void everyMatchingFilterIsReportedOnce() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    String[] filters = {
      "a/b/c", "a/+/c", "a/#", "#", "+/+/+", "a/b/+", "+/b/#", "a/b", "a/b/c/d", "b/#", "+/+"
    };
    for (String f : filters) {
      trie.add(f, f);
    }
    assertThat(matches(trie, "a/b/c"))
        .containsExactlyInAnyOrder("a/b/c", "a/+/c", "a/#", "#", "+/+/+", "a/b/+", "+/b/#");
    assertThat(matches(trie, "a/b")).containsExactlyInAnyOrder("a/#", "#", "+/b/#", "a/b", "+/+");
    assertThat(matches(trie, "a")).containsExactlyInAnyOrder("a/#", "#");
    assertThat(matches(trie, "x/y/z/w")).containsExactlyInAnyOrder("#");
  }

  @Test
  void dollarTopicsAreMatchedOnlyByFiltersStartingWithTheSameLiteral() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    for (String f :
        new String[] {"#", "+/#", "+/monitor/+", "+", "$SYS/#", "$SYS/monitor/+", "$SYS"}) {
      trie.add(f, f);
    }
    assertThat(matches(trie, "$SYS/monitor/clients"))
        .containsExactlyInAnyOrder("$SYS/#", "$SYS/monitor/+");
    assertThat(matches(trie, "$SYS")).containsExactlyInAnyOrder("$SYS/#", "$SYS");
    assertThat(matches(trie, "SYS/monitor/clients"))
        .containsExactlyInAnyOrder("#", "+/#", "+/monitor/+");
    assertThat(matches(trie, "$other")).isEmpty();
  }

  @Test
  void severalValuesUnderOneFilterAreAllReported() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    assertThat(trie.add("a/+", "s1")).isTrue();
    assertThat(trie.add("a/+", "s2")).isTrue();
    assertThat(trie.add("a/+", "s1")).isFalse();
    assertThat(matches(trie, "a/x")).containsExactlyInAnyOrder("s1", "s2");
  }

  @Test
  void oneValueUnderTwoMatchingFiltersIsReportedForEach() {
    // the router relies on this to merge overlapping subscriptions of one session into one delivery
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add("a/+", "s1");
    trie.add("a/#", "s1");
    assertThat(matches(trie, "a/x")).containsExactly("s1", "s1");
  }

  @Test
  void removeTakesOutOnlyThatValueUnderThatFilter() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add("a/+", "s1");
    trie.add("a/+", "s2");
    trie.add("a/#", "s1");
    assertThat(trie.remove("a/+", "s1")).isTrue();
    assertThat(trie.remove("a/+", "s1")).isFalse();
    assertThat(trie.remove("a/b", "s1")).isFalse();
    assertThat(trie.remove("x/y/z", "s1")).isFalse();
    assertThat(matches(trie, "a/x")).containsExactlyInAnyOrder("s2", "s1");
    assertThat(trie.remove("a/#", "s1")).isTrue();
    assertThat(matches(trie, "a/x")).containsExactly("s2");
  }

  @Test
  void removingEveryFilterLeavesAnEmptyTrie() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    String[] filters = {"a/b/c", "a/+/c", "a/#", "#", "+", "+/+/#", "/", "a//b", "$SYS/#"};
    for (String f : filters) {
      trie.add(f, "v");
    }
    assertThat(trie.isEmpty()).isFalse();
    for (String f : filters) {
      assertThat(trie.remove(f, "v")).as(f).isTrue();
    }
    assertThat(trie.isEmpty()).isTrue();
    assertThat(matches(trie, "a/b/c")).isEmpty();
  }

  @Test
  void removingADeepFilterKeepsItsPrefixFilters() {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add("a", "short");
    trie.add("a/b/c/d", "deep");
    trie.remove("a/b/c/d", "deep");
    assertThat(matches(trie, "a")).containsExactly("short");
    assertThat(matches(trie, "a/b/c/d")).isEmpty();
  }

  /**
   * Random filters and topics over a small alphabet: the trie and the reference matcher always
   * agree.
   */
  @Test
  void trieAgreesWithTopicsMatchesOnRandomFiltersAndTopics() {
    Random random = new Random(4711);
    String[] topicLevels = {"a", "b", "", "$x", "c"};
    List<String> filters = new ArrayList<>();
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    for (int i = 0; i < 400; i++) {
      String f = randomFilter(random, topicLevels);
      if (Topics.checkFilter(f, 256, 15) == Topics.Check.OK && trie.add(f, f)) {
        filters.add(f);
      }
    }
    assertThat(filters.size()).isGreaterThan(100);
    for (int i = 0; i < 2000; i++) {
      String topic = randomTopic(random, topicLevels);
      List<String> expected = new ArrayList<>();
      for (String f : filters) {
        if (Topics.matches(f, topic)) {
          expected.add(f);
        }
      }
      assertThat(matches(trie, topic))
          .as("topic '%s'", topic)
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void matchingWhileAnotherThreadSubscribesSeesStableFilters() throws Exception {
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add("stable/+", "stable");
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 20_000; i++) {
                  trie.add("stable/" + (i % 50), "v" + i);
                  trie.remove("stable/" + (i % 50), "v" + i);
                }
              } catch (Throwable t) {
                failure.set(t);
              } finally {
                done.countDown();
              }
            });
    writer.start();
    while (done.getCount() > 0) {
      assertThat(matches(trie, "stable/7")).contains("stable");
    }
    writer.join();
    assertThat(failure.get()).isNull();
    assertThat(matches(trie, "stable/7")).containsExactly("stable");
  }

  private static String randomTopic(Random random, String[] levels) {
    int n = 1 + random.nextInt(4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append('/');
      }
      String level = levels[random.nextInt(levels.length)];
      sb.append(level);
    }
    return sb.length() == 0 ? "a" : sb.toString();
  }

  private static String randomFilter(Random random, String[] levels) {
    int n = 1 + random.nextInt(4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append('/');
      }
      int r = random.nextInt(10);
      if (r < 3) {
        sb.append('+');
      } else if (r == 3 && i == n - 1) {
        sb.append('#');
      } else {
        sb.append(levels[random.nextInt(levels.length)]);
      }
    }
    return sb.length() == 0 ? "+" : sb.toString();
  }

  @Test
  void manyValuesOnOneFilterComeAndGoEachOnce() {
    // a node keeps its first few values in an array and more in a set: across the switch, and back
    // down to none, each value is matched once and the emptied branch is pruned
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String v = "s" + i;
      all.add(v);
      assertThat(trie.add("fan/+/out", v)).isTrue();
      assertThat(trie.add("fan/+/out", v)).as("added twice").isFalse();
      assertThat(matches(trie, "fan/1/out")).containsExactlyInAnyOrderElementsOf(all);
    }
    for (int i = 0; i < 20; i++) {
      assertThat(trie.remove("fan/+/out", "s" + i)).isTrue();
      assertThat(trie.remove("fan/+/out", "s" + i)).as("removed twice").isFalse();
      all.remove("s" + i);
      assertThat(matches(trie, "fan/1/out")).containsExactlyInAnyOrderElementsOf(all);
    }
    assertThat(trie.isEmpty()).isTrue();
    trie.add("fan/x", "again");
    assertThat(matches(trie, "fan/x")).containsExactly("again");
  }

  @Test
  void siblingsComeAndGoInAnyOrder() {
    // a node's first child is held alone, the second makes a map; either way round
    SubscriptionTrie<String> trie = new SubscriptionTrie<>();
    trie.add("dev/1/cmd", "one");
    assertThat(matches(trie, "dev/1/cmd")).containsExactly("one");
    assertThat(matches(trie, "dev/2/cmd")).isEmpty();
    assertThat(matches(trie, "dev/1/cmdx")).isEmpty();
    trie.add("dev/2/cmd", "two");
    trie.add("dev/3/cmd", "three");
    assertThat(matches(trie, "dev/1/cmd")).containsExactly("one");
    assertThat(matches(trie, "dev/2/cmd")).containsExactly("two");

    assertThat(trie.remove("dev/1/cmd", "one")).isTrue();
    assertThat(trie.remove("dev/1/cmd", "one")).isFalse();
    assertThat(matches(trie, "dev/1/cmd")).isEmpty();
    assertThat(matches(trie, "dev/3/cmd")).containsExactly("three");
    assertThat(trie.remove("dev/2/cmd", "two")).isTrue();
    assertThat(trie.remove("dev/3/cmd", "three")).isTrue();
    assertThat(trie.isEmpty()).isTrue();

    trie.add("dev/4/cmd", "four");
    assertThat(trie.remove("dev/5/cmd", "four")).isFalse();
    assertThat(matches(trie, "dev/4/cmd")).containsExactly("four");
    assertThat(trie.remove("dev/4/cmd", "four")).isTrue();
    assertThat(trie.isEmpty()).isTrue();
  }
}
