package io.mqttgrid.retain;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import java.util.List;

/** Retained messages, one per topic (MQTT 5 section 3.3.1.3), shared by every node. */
public interface RetainedStore {

  /** Stores {@code message} as its topic's retained message; an empty payload clears the topic. */
  Future<Void> put(PublishedMessage message);

  /** The unexpired retained messages whose topics match {@code filter}, found through an index. */
  Future<List<PublishedMessage>> match(String filter);

  /** The retained message of one topic, or null. */
  Future<PublishedMessage> get(String topic);

  /** How many topics hold a retained message (as this node's index sees them). */
  int size();
}
