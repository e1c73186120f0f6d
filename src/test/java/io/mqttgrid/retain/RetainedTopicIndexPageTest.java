package io.mqttgrid.retain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pages of a listing in topic order, resumable from the last topic of the previous page. */
class RetainedTopicIndexPageTest {

  private static RetainedTopicIndex index(String... topics) {
    RetainedTopicIndex index = new RetainedTopicIndex();
    for (String t : topics) {
      index.add(t);
    }
    return index;
  }

  @Test
  void pagesFollowEachOtherInTopicOrderWithoutGapsOrRepeats() {
    RetainedTopicIndex index = new RetainedTopicIndex();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 57; i++) {
      String t = "site/" + (i % 5) + "/dev" + i;
      index.add(t);
      all.add(t);
    }
    index.add("other/x");
    all.sort(null);
    List<String> listed = new ArrayList<>();
    String after = null;
    while (true) {
      List<String> page = index.page("site/#", after, 10);
      assertThat(page).hasSizeLessThanOrEqualTo(10).isSorted();
      listed.addAll(page);
      if (page.size() < 10) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    assertThat(listed).containsExactlyElementsOf(all);
  }

  @Test
  void aPageHoldsOnlyMatchingTopicsAfterTheCursor() {
    RetainedTopicIndex index = index("a/1", "a/2", "a/3", "b/1", "a/2/x", "$SYS/a");
    assertThat(index.page("a/+", null, 10)).containsExactly("a/1", "a/2", "a/3");
    assertThat(index.page("a/+", "a/1", 10)).containsExactly("a/2", "a/3");
    assertThat(index.page("a/+", "a/10", 1)).containsExactly("a/2");
    assertThat(index.page("#", null, 100)).containsExactly("a/1", "a/2", "a/2/x", "a/3", "b/1");
    assertThat(index.page("a/+", "a/3", 10)).isEmpty();
  }

  @Test
  void aTopicAddedBehindTheCursorIsNotListedAndOneAheadIs() {
    RetainedTopicIndex index = index("t/b", "t/d");
    List<String> first = index.page("t/#", null, 1);
    assertThat(first).containsExactly("t/b");
    index.add("t/a");
    index.add("t/c");
    assertThat(index.page("t/#", first.get(0), 10)).containsExactly("t/c", "t/d");
  }
}
