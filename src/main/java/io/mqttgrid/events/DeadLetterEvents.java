package io.mqttgrid.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonCloudEventData;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/**
 * The dead-letter event (ours): a CloudEvent of type {@value #TYPE} whose data carries the event
 * that could not be delivered and why, with the properties Event Grid adds to its dead-lettered
 * events ({@code deadLetterReason}, {@code deliveryAttempts}, {@code lastDeliveryOutcome}, {@code
 * publishTime}, {@code lastDeliveryAttemptTime}). One shape for every dead-letter destination: a
 * webhook and Kafka take it as any event, the file as one JSON line.
 */
final class DeadLetterEvents {

  static final String TYPE = "MQTTGrid.EventDeadLettered";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DeadLetterEvents() {}

  /**
   * @param destination where it was going: {@code routeDestination} or {@code
   *     eventSubscriptions/<name>}, the dead-letter event's subject
   * @param attempts delivery attempts made, 0 when it never was sent (a full buffer)
   * @param lastOutcome what the last attempt got (an HTTP status, an error), for people
   */
  static CloudEvent event(
      URI source,
      String destination,
      CloudEvent undelivered,
      boolean eventGridSchema,
      String reason,
      int attempts,
      String lastOutcome) {
    OffsetDateTime now =
        OffsetDateTime.ofInstant(Instant.ofEpochMilli(System.currentTimeMillis()), ZoneOffset.UTC);
    ObjectNode data = MAPPER.createObjectNode();
    data.put("deadLetterReason", reason);
    data.put("deliveryAttempts", attempts);
    data.put("lastDeliveryOutcome", lastOutcome);
    data.put(
        "publishTime",
        undelivered.getTime() == null
            ? null
            : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(undelivered.getTime()));
    if (attempts > 0) {
      data.put("lastDeliveryAttemptTime", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(now));
    }
    try {
      data.set(
          "event",
          eventGridSchema
              ? EventGridSchema.event(undelivered)
              : MAPPER.readTree(MessageEvents.structured(undelivered)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read back the event's JSON", e);
    }
    return CloudEventBuilder.v1()
        .withId(UUID.randomUUID().toString())
        .withTime(now)
        .withType(TYPE)
        .withSource(source)
        .withSubject(destination)
        .withDataContentType("application/json")
        .withData(JsonCloudEventData.wrap(data))
        .build();
  }

  /** An event in the Event Grid schema as one JSON object (not an array). */
  static byte[] eventGridJson(CloudEvent event) {
    try {
      return MAPPER.writeValueAsBytes(EventGridSchema.event(event));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the event as JSON", e);
    }
  }
}
