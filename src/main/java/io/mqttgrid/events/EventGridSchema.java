package io.mqttgrid.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonCloudEventData;
import java.time.format.DateTimeFormatter;

/**
 * The Event Grid schema of an event (Event Grid's schema variant of its events): {@code id}, {@code
 * eventTime}, {@code eventType}, {@code topic} (the CloudEvent's {@code source}, the namespace's
 * resource path), {@code subject}, {@code data}, {@code dataVersion} and {@code metadataVersion}
 * {@code "1"}. Delivered as a JSON array, one event or more.
 *
 * <p>Hand-written: the CloudEvents SDK writes CloudEvents only, and Event Grid's own SDK for Java
 * (azure-messaging-eventgrid) would bring the Azure core stack for six fields.
 */
final class EventGridSchema {

  static final String CONTENT_TYPE = "application/json";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private EventGridSchema() {}

  /** One event in the Event Grid schema; its data is JSON (the life-cycle events' is). */
  static ObjectNode event(CloudEvent e) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", e.getId());
    o.put(
        "eventTime",
        e.getTime() == null ? null : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(e.getTime()));
    o.put("eventType", e.getType());
    o.put("topic", e.getSource().toString());
    o.put("subject", e.getSubject());
    JsonNode data =
        e.getData() instanceof JsonCloudEventData json ? json.getNode() : MAPPER.nullNode();
    o.set("data", data);
    o.put("dataVersion", "1");
    o.put("metadataVersion", "1");
    return o;
  }
}
