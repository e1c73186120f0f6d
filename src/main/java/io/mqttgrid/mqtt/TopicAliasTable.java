package io.mqttgrid.mqtt;

import java.util.HashMap;
import java.util.Map;

/**
 * The topic aliases a client set on one connection (MQTT 5 section 3.3.2.3.4). They live and die
 * with the connection (MQTT-3.3.2-7), and the server accepts aliases from 1 to the Topic Alias
 * Maximum it announced in the CONNACK.
 */
final class TopicAliasTable {

  private final int maximum;

  /** Created with the first alias: most clients never set one. */
  private Map<Integer, String> topics;

  TopicAliasTable(int maximum) {
    this.maximum = maximum;
  }

  /**
   * The topic of a PUBLISH that carries {@code alias}: its own topic name, which (re)binds the
   * alias, or, when it has none, the topic the alias stands for. Null when the alias is invalid: 0,
   * above the maximum, or not bound yet (MQTT-3.3.2-8, -3.3.2-9, Topic Alias invalid 0x94).
   */
  String resolve(int alias, String topicName) {
    if (alias == 0 || alias > maximum) {
      return null;
    }
    if (topicName == null || topicName.isEmpty()) {
      return topics == null ? null : topics.get(alias);
    }
    if (topics == null) {
      topics = new HashMap<>();
    }
    topics.put(alias, topicName);
    return topicName;
  }
}
