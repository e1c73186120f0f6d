package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicReference;

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

  /**
   * The subject of the event a dead-letter event carries ({@code data.event.subject}): for an MQTT
   * message, its topic.
   */
  public static String deadLetteredSubject(JsonObject deadLetter) {
    return deadLetter.getJsonObject("data").getJsonObject("event").getString("subject");
  }

  /**
   * The first of {@code deadLetters} (a collection a receiver adds to) that carries the event of
   * {@code subject}, once there is one; fails after {@code wait}.
   */
  public static JsonObject awaitDeadLetter(
      Iterable<JsonObject> deadLetters, String subject, Duration wait) {
    AtomicReference<JsonObject> found = new AtomicReference<>();
    Await.until(
        "the dead-letter event of " + subject,
        wait,
        () -> {
          for (JsonObject d : deadLetters) {
            if (subject.equals(deadLetteredSubject(d))) {
              found.set(d);
              return true;
            }
          }
          return false;
        });
    return found.get();
  }
}
