package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/** Checks of the CloudEvents a test's receiver got. */
public final class ReceivedEvents {

  private ReceivedEvents() {}

  /**
   * {@code event} without the attributes whose values differ per event, after checking them: {@code
   * id} a UUID, {@code time} between {@code before} and {@code after} (epoch milliseconds), so that
   * the rest can be compared whole.
   */
  public static JsonObject withoutIdAndTime(JsonObject event, long before, long after) {
    assertThat(event.getString("id")).matches("[0-9a-f-]{36}");
    long time = OffsetDateTime.parse(event.getString("time")).toInstant().toEpochMilli();
    assertThat(time).isBetween(before, after);
    JsonObject copy = event.copy();
    copy.remove("id");
    copy.remove("time");
    return copy;
  }
}
