package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The thread's generator, reused: each event's bytes are that event's JSON, nothing more. */
class EventJsonWriterTest {

  private static final JsonFactory FACTORY = new JsonFactory();

  private static String write(String name, String value) {
    return new String(
        EventJsonWriter.write(
            FACTORY,
            g -> {
              g.writeStartObject();
              g.writeStringField(name, value);
              g.writeEndObject();
            }),
        StandardCharsets.UTF_8);
  }

  @Test
  void eachEventIsItsOwnDocumentWithoutASeparatorOrTheOnesBefore() {
    assertThat(write("a", "1")).isEqualTo("{\"a\":\"1\"}");
    assertThat(write("b", "2")).isEqualTo("{\"b\":\"2\"}");
    // larger than the output's first block
    String big = "x".repeat(5000);
    assertThat(write("c", big)).isEqualTo("{\"c\":\"" + big + "\"}");
    assertThat(write("d", "4")).isEqualTo("{\"d\":\"4\"}");
  }

  @Test
  void anEventThatFailsHalfWayLeavesNothingForTheNext() {
    assertThatThrownBy(
            () ->
                EventJsonWriter.write(
                    FACTORY,
                    g -> {
                      g.writeStartObject();
                      g.writeStringField("half", "way");
                      throw new IllegalStateException("a value that cannot be resolved");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(write("next", "whole")).isEqualTo("{\"next\":\"whole\"}");
  }

  @Test
  void anEventWrittenWhileAnotherIsBeingWrittenGetsAGeneratorOfItsOwn() {
    String[] inner = new String[1];
    String outer =
        new String(
            EventJsonWriter.write(
                FACTORY,
                g -> {
                  g.writeStartObject();
                  inner[0] = write("inner", "1");
                  g.writeStringField("outer", "2");
                  g.writeEndObject();
                }),
            StandardCharsets.UTF_8);
    assertThat(inner[0]).isEqualTo("{\"inner\":\"1\"}");
    assertThat(outer).isEqualTo("{\"outer\":\"2\"}");
  }
}
