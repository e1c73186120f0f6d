package io.mqttgrid.mqtt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MQTT connections of this node that completed CONNECT, so a change of the namespace model can
 * reach each of them (Event Grid's credential-lifetime rules). Each is told on its own event loop.
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

  /**
   * A connection as the management API lists it.
   *
   * @param authenticationName null while the CONNECT is still being authenticated
   */
  public record ConnectionView(
      String clientId,
      String authenticationName,
      int protocolVersion,
      String remoteAddress,
      int subscriptions,
      boolean persistentSession) {}

  /**
   * Up to {@code max} connections whose client id or authentication name contains {@code search}
   * (case-insensitively; empty: all), by client id.
   */
  public List<ConnectionView> find(String search, int max) {
    String needle = search == null ? "" : search.toLowerCase(Locale.ROOT);
    List<ConnectionView> found = new ArrayList<>();
    for (MqttConnection c : connections) {
      ConnectionView v = c.view();
      if (v.clientId() != null
          && (v.clientId().toLowerCase(Locale.ROOT).contains(needle)
              || (v.authenticationName() != null
                  && v.authenticationName().toLowerCase(Locale.ROOT).contains(needle)))) {
        found.add(v);
      }
    }
    found.sort(Comparator.comparing(ConnectionView::clientId));
    return found.size() > max ? List.copyOf(found.subList(0, max)) : found;
  }

  /**
   * Ends the connections of {@code clientId} on this node for an operator (DISCONNECT 0x98 for MQTT
   * 5); answers how many there were.
   */
  public int disconnect(String clientId) {
    int n = 0;
    for (MqttConnection c : connections) {
      if (clientId.equals(c.clientId())) {
        c.disconnectByAdministrator();
        n++;
      }
    }
    return n;
  }
}
