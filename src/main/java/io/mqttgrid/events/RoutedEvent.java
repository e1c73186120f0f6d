package io.mqttgrid.events;

import io.cloudevents.CloudEvent;
import io.mqttgrid.access.RoutingSettings;

/**
 * An event on its way to its destinations, and the schema it goes in: a CloudEvent, or (life-cycle
 * events only) the Event Grid schema. One request holds events of one schema. One instance is
 * shared by every destination that takes the event, so that its JSON is written once ({@link
 * #json}) whatever the number of destinations and whatever needs it (the batch cut, the request
 * body, a dead-letter file, the batch kept for a retry).
 */
final class RoutedEvent {

  /**
   * Built on first use when it is a routed message's ({@link #envelope}); volatile as {@link #json}
   * is (at worst it is built twice, the same event).
   */
  private volatile CloudEvent event;

  /** A routed message that is not a CloudEvent itself, or null: {@link #event} is given. */
  private final MessageEvents.Envelope envelope;

  private final boolean eventGridSchema;
  private final String clientId;
  private final long builtAtMillis;

  /**
   * Written on first use, on the routing's context; volatile because a Kafka producer's or a
   * blocking thread's caller may read it too (at worst it is written twice, the same bytes).
   */
  private volatile byte[] json;

  /**
   * @param clientId the publisher of a routed message, null for a life-cycle event
   * @param builtAtMillis when it was made: its age, for the retry policy's time to live
   */
  RoutedEvent(CloudEvent event, boolean eventGridSchema, String clientId, long builtAtMillis) {
    this.event = event;
    this.envelope = null;
    this.eventGridSchema = eventGridSchema;
    this.clientId = clientId;
    this.builtAtMillis = builtAtMillis;
  }

  RoutedEvent(CloudEvent event, boolean eventGridSchema, String clientId) {
    this(event, eventGridSchema, clientId, System.currentTimeMillis());
  }

  /** A routed message's event, built on first use ({@link MessageEvents#routed}). */
  RoutedEvent(MessageEvents.Envelope envelope) {
    this.envelope = envelope;
    this.eventGridSchema = false;
    this.clientId = envelope.message.publisherClientId();
    this.builtAtMillis = System.currentTimeMillis();
  }

  CloudEvent event() {
    CloudEvent e = event;
    if (e == null) {
      e = envelope.event();
      event = e;
    }
    return e;
  }

  boolean eventGridSchema() {
    return eventGridSchema;
  }

  String clientId() {
    return clientId;
  }

  long builtAtMillis() {
    return builtAtMillis;
  }

  /**
   * The event as one JSON object in its schema: the CloudEvent in structured mode ({@code
   * application/cloudevents+json}), or the Event Grid schema's object. A batch's body is these,
   * comma-separated in a JSON array. Not to be changed: shared.
   */
  byte[] json() {
    byte[] j = json;
    if (j == null) {
      j =
          envelope != null
              ? envelope.json()
              : eventGridSchema
                  ? DeadLetterEvents.eventGridJson(event)
                  : MessageEvents.structured(event);
      json = j;
    }
    return j;
  }

  /** The Kafka record key {@code key} asks for. */
  String kafkaKey(RoutingSettings.KafkaKey key) {
    return switch (key) {
      case TOPIC -> envelope != null ? envelope.message.topic() : event.getSubject();
      // a life-cycle event has no publisher: its subject names the client
      case CLIENT_ID -> clientId == null ? event().getSubject() : clientId;
      case NONE -> null;
    };
  }
}
