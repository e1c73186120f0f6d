package io.mqttgrid.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IntervalCountsTest {

  @Test
  void theFirstEventAtOnceThenOneSummaryPerIntervalWithEverythingCountedMeanwhile() {
    AtomicLong now = new AtomicLong(7_000_000);
    IntervalCounts<String> counts = new IntervalCounts<>(60_000, now::get);

    IntervalCounts.Summary<String> first = counts.count("b-kind", "first-subject");
    assertThat(first.period()).isEqualTo("(first this run)");
    assertThat(first.listed(k -> "<" + k + ">")).isEqualTo("1 <b-kind>");
    assertThat(first.example()).isEqualTo("first-subject");

    now.addAndGet(1_000);
    assertThat(counts.count("b-kind", "s-1")).isNull();
    assertThat(counts.count("a-kind", "s-2")).isNull();
    now.addAndGet(58_999);
    assertThat(counts.count("b-kind", "s-3")).as("1 ms short of the interval").isNull();
    now.addAndGet(1);

    IntervalCounts.Summary<String> next = counts.count("c-kind", "s-4");
    assertThat(next.period()).isEqualTo("in the last 60 s");
    assertThat(next.listed(k -> k))
        .as("every kind counted since the first summary, in the kinds' order")
        .isEqualTo("1 a-kind, 2 b-kind, 1 c-kind");
    assertThat(next.example()).as("the interval's first subject").isEqualTo("s-1");

    now.addAndGet(60_000);
    assertThat(counts.count("a-kind", "s-5").listed(k -> k))
        .as("counted anew after a summary")
        .isEqualTo("1 a-kind");
  }
}
