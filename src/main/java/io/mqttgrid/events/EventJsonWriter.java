package io.mqttgrid.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes one event's JSON at a time with a Jackson generator kept by the thread, one after the
 * other as root values of the same output, each copied out as its own bytes. A new generator per
 * event cost each event its own generator, context objects and output blocks, and their setting up
 * and closing (JFR's allocation samples: about 1 KB a routed event, for a JSON of about 300 bytes;
 * docs/routing.md#throughput).
 */
final class EventJsonWriter {

  /** What writes one event: its fields, the object's start and end included. */
  @FunctionalInterface
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static final ThreadLocal<EventJsonWriter> WRITERS = new ThreadLocal<>();

  private final ByteArrayBuilder out = new ByteArrayBuilder(1024);
  private final JsonGenerator generator;

  /** Whether {@link #generator} is writing an event: a nested write gets a writer of its own. */
  private boolean busy;

  private EventJsonWriter(JsonFactory factory) throws IOException {
    generator = factory.createGenerator(out);
    // the events are separate documents: nothing between one and the next
    generator.setRootValueSeparator(null);
  }

  /** The bytes {@code body} writes, with this thread's generator. */
  static byte[] write(JsonFactory factory, Body body) {
    EventJsonWriter w = WRITERS.get();
    try {
      if (w == null || w.busy) {
        EventJsonWriter fresh = new EventJsonWriter(factory);
        if (w == null) {
          WRITERS.set(fresh);
        }
        w = fresh;
      }
      return w.written(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // into memory: not expected
    }
  }

  private byte[] written(Body body) throws IOException {
    busy = true;
    boolean done = false;
    try {
      body.write(generator);
      generator.flush();
      byte[] bytes = out.toByteArray();
      done = true;
      return bytes;
    } finally {
      out.reset();
      busy = false;
      if (!done && WRITERS.get() == this) {
        // the generator stopped inside an event: its state is no start for the next one
        WRITERS.remove();
      }
    }
  }
}
