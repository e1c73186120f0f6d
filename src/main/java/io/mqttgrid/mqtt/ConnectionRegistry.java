package io.mqttgrid.mqtt;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MQTT connections of this node that completed CONNECT, so a change of the namespace model can
 * reach each of them (spec section 3.8). Each is told on its own event loop.
 */
public final class ConnectionRegistry {

  private final Set<MqttConnection> connections = ConcurrentHashMap.newKeySet();

  /**
   * A connection takes its rights before it is added here; a change published in between told only
   * the connections already here, so the new one checks once that its rights are still those of the
   * node's model.
   */
  void add(MqttConnection c) {
    connections.add(c);
    c.namespaceChanged();
  }

  void remove(MqttConnection c) {
    connections.remove(c);
  }

  /** Connections open now (a closed one leaves once its close is handled). */
  public int size() {
    return connections.size();
  }

  /** Asks every connection to check its credentials and rights against the current model. */
  public void namespaceChanged() {
    for (MqttConnection c : connections) {
      c.namespaceChanged();
    }
  }
}
