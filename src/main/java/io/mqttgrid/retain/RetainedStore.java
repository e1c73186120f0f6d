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

  /**
   * One page of the retained messages whose topics match {@code filter}, in topic order ({@link
   * String#compareTo}), starting after {@code afterTopic} (null: from the first). Topics whose
   * message vanished or expired meanwhile are skipped, so a page may hold fewer than {@code
   * maxResults} messages and still have a next one.
   */
  Future<Page> list(String filter, String afterTopic, int maxResults);

  /**
   * Deletes the retained message of one topic; the future says whether there was an unexpired one.
   */
  Future<Boolean> remove(String topic);

  /**
   * @param continueAfter the last topic this page covered when more matching topics follow, else
   *     null
   */
  record Page(List<PublishedMessage> messages, String continueAfter) {
    public Page {
      messages = List.copyOf(messages);
    }
  }

  /** How many topics hold a retained message (as this node's index sees them). */
  int size();
}
