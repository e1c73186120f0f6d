package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageRateHistoryTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void eachSampleIsTheRateSinceTheOneBeforeInItsBucket() {
    MessageRateHistory h = new MessageRateHistory();
    h.sample(1_000, 0, 100, 50, 0);
    h.sample(3_000, 2 * SECOND, 110, 54, 2);
    JsonArray points = h.between(Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(points).hasSize(1);
    assertThat(points.getJsonObject(0))
        .isEqualTo(
            new JsonObject().put("t", 2_000L).put("in", 5.0).put("out", 2.0).put("dropped", 1.0));
  }

  @Test
  void aLateSampleFillsTheBucketItSkippedAndTwoInOneBucketMakeOnePoint() {
    MessageRateHistory h = new MessageRateHistory();
    h.sample(1_000, 0, 0, 0, 0);
    h.sample(3_000, 2 * SECOND, 4, 0, 0);
    h.sample(7_100, 6 * SECOND, 12, 0, 0); // bucket 6000: 4000 skipped, 2/s over both
    h.sample(7_900, 7 * SECOND, 15, 0, 0); // bucket 6000 again: 11 messages in 5 s
    JsonArray points = h.between(Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(points).hasSize(3);
    assertThat(points.getJsonObject(1).getLong("t")).isEqualTo(4_000L);
    assertThat(points.getJsonObject(1).getDouble("in")).isEqualTo(2.0);
    assertThat(points.getJsonObject(2).getLong("t")).isEqualTo(6_000L);
    assertThat(points.getJsonObject(2).getDouble("in")).isEqualTo(2.2);
  }

  @Test
  void fifteenMinutesAreKeptAndTheMembersPointsAreSummedPerBucket() {
    MessageRateHistory h = new MessageRateHistory();
    for (int i = 0; i <= 1000; i++) {
      h.sample(1_000 + i * 2_000L, i * 2 * SECOND, i, 0, 0);
    }
    JsonArray points = h.between(Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(points).hasSize(MessageRateHistory.CAPACITY).hasSize(450);
    assertThat(points.getJsonObject(449).getLong("t")).isEqualTo(2_000_000L);
    assertThat(h.between(1_996_000L, 1_998_000L)).hasSize(1);

    JsonArray sum =
        MessageRateHistory.sumByBucket(
            List.of(
                new JsonArray().add(point(2_000, 1)).add(point(4_000, 2)),
                new JsonArray().add(point(4_000, 3))));
    assertThat(sum).containsExactly(point(2_000, 1), point(4_000, 5));
  }

  private static JsonObject point(long t, double in) {
    return new JsonObject().put("t", t).put("in", in).put("out", 0.0).put("dropped", 0.0);
  }
}
