package io.mqttgrid.publish;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.routing.PublishedMessage;

/**
 * Told of every message the broker accepted, once, on the node that accepted it: MQTT, HTTP and
 * bridge publishes as the {@link PublishPipeline} accepts them, wills as they are published. Called
 * on the publisher's thread (an event loop): must not block and must not fail the publish.
 */
@FunctionalInterface
public interface AcceptedMessages {

  /**
   * @param publisher who published it, or null when not known (a will, a bridge)
   */
  void accepted(PublishedMessage message, ClientIdentity publisher);

  AcceptedMessages NONE = (message, publisher) -> {};
}
