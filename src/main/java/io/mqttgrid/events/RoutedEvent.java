package io.mqttgrid.events;

import io.cloudevents.CloudEvent;
import io.mqttgrid.access.RoutingSettings;

/**
 * An event on its way to one destination, and the schema it goes in: a CloudEvent, or (life-cycle
 * events only) the Event Grid schema. One request holds events of one schema.
 *
 * @param clientId the publisher of a routed message, null for a life-cycle event
 * @param builtAtMillis when it was made: its age, for the retry policy's time to live
 */
record RoutedEvent(CloudEvent event, boolean eventGridSchema, String clientId, long builtAtMillis) {

  RoutedEvent(CloudEvent event, boolean eventGridSchema, String clientId) {
    this(event, eventGridSchema, clientId, System.currentTimeMillis());
  }

  /** The Kafka record key {@code key} asks for. */
  String kafkaKey(RoutingSettings.KafkaKey key) {
    return switch (key) {
      case TOPIC -> event.getSubject();
      // a life-cycle event has no publisher: its subject names the client
      case CLIENT_ID -> clientId == null ? event.getSubject() : clientId;
      case NONE -> null;
    };
  }
}
