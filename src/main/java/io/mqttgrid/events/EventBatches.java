package io.mqttgrid.events;

import io.cloudevents.jackson.JsonFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * How events are grouped into one request, and written as a batch elsewhere: a dead-letter file's
 * JSON lines, and the batch {@link PendingEvents} keeps in the cluster while it waits for a retry.
 */
final class EventBatches {

  private EventBatches() {}

  /**
   * Takes from {@code waiting} up to {@code max} events of the schema of the first, and, when
   * {@code maxBytes} is above 0, up to that many bytes of events (their JSON; the first is taken
   * whatever its size). The caller is the queue's only taker.
   */
  static List<RoutedEvent> drain(Queue<RoutedEvent> waiting, int max, int maxBytes) {
    List<RoutedEvent> batch = new ArrayList<>();
    long bytes = 0;
    RoutedEvent e;
    while (batch.size() < max
        && (e = waiting.peek()) != null
        && (batch.isEmpty() || e.eventGridSchema() == batch.get(0).eventGridSchema())) {
      if (maxBytes > 0) {
        // the event's JSON, a comma between: what it adds to the request's body, which is made of
        // the same bytes (jsonArray)
        bytes += e.json().length + (batch.isEmpty() ? 2 : 1);
        if (!batch.isEmpty() && bytes > maxBytes) {
          break;
        }
      }
      batch.add(waiting.poll());
    }
    return batch;
  }

  /**
   * The events' JSON ({@link RoutedEvent#json}) in a JSON array: a batched request's body ({@code
   * application/cloudevents-batch+json}, or the Event Grid schema's array), made of the bytes each
   * event was written to once rather than written again as a whole.
   */
  static byte[] jsonArray(List<RoutedEvent> batch) {
    int size = 1 + batch.size(); // brackets and commas
    for (RoutedEvent r : batch) {
      size += r.json().length;
    }
    byte[] out = new byte[Math.max(size, 2)];
    int at = 0;
    out[at++] = '[';
    for (int i = 0; i < batch.size(); i++) {
      if (i > 0) {
        out[at++] = ',';
      }
      byte[] j = batch.get(i).json();
      System.arraycopy(j, 0, out, at, j.length);
      at += j.length;
    }
    out[at] = ']';
    return out;
  }

  /** One JSON line per event: the CloudEvent in structured mode, or the Event Grid schema's. */
  static byte[] jsonLines(List<RoutedEvent> batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (RoutedEvent r : batch) {
      byte[] line = r.json();
      out.write(line, 0, line.length);
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * A batch waiting for a retry, as {@link PendingEvents} keeps it.
   *
   * @param destination the key of the destination it goes to
   * @param attempts attempts made so far
   */
  record Pending(String destination, int attempts, List<RoutedEvent> events) {

    String toJson() {
      JsonArray list = new JsonArray();
      for (RoutedEvent r : events) {
        list.add(
            new JsonObject()
                .put(
                    "event",
                    // always the CloudEvent, which fromJson reads back (the Event Grid schema's
                    // object is not one)
                    new String(
                        r.eventGridSchema() ? MessageEvents.structured(r.event()) : r.json(),
                        StandardCharsets.UTF_8))
                .put("eventGridSchema", r.eventGridSchema())
                .put("clientId", r.clientId())
                .put("builtAt", r.builtAtMillis()));
      }
      return new JsonObject()
          .put("destination", destination)
          .put("attempts", attempts)
          .put("events", list)
          .encode();
    }

    static Pending fromJson(String json) {
      JsonObject o = new JsonObject(json);
      List<RoutedEvent> batch = new ArrayList<>();
      JsonFormat format = new JsonFormat();
      for (Object e : o.getJsonArray("events")) {
        JsonObject r = (JsonObject) e;
        batch.add(
            new RoutedEvent(
                format.deserialize(r.getString("event").getBytes(StandardCharsets.UTF_8)),
                r.getBoolean("eventGridSchema"),
                r.getString("clientId"),
                r.getLong("builtAt")));
      }
      return new Pending(o.getString("destination"), o.getInteger("attempts"), batch);
    }
  }
}
