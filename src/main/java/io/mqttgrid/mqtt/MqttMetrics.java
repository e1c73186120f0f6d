package io.mqttgrid.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Counters of the MQTT layer, registered in the broker's Micrometer registry. */
public final class MqttMetrics {

  private final MeterRegistry registry;
  private final Counter connectionsAccepted;
  private final Counter messagesIn;
  private final Counter messagesOut;
  private final Map<String, Counter> refused = new ConcurrentHashMap<>();
  private final Map<String, Counter> dropped = new ConcurrentHashMap<>();

  public MqttMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.connectionsAccepted = registry.counter("mqttgrid.connections.accepted");
    this.messagesIn = registry.counter("mqttgrid.messages.published");
    this.messagesOut = registry.counter("mqttgrid.messages.delivered");
  }

  public MeterRegistry registry() {
    return registry;
  }

  void connectionAccepted() {
    connectionsAccepted.increment();
  }

  void connectionRefused(ReasonCode reason) {
    refused.computeIfAbsent(reason.name(), r -> registry.counter("mqttgrid.connections.refused", "reason", r))
        .increment();
  }

  void published() {
    messagesIn.increment();
  }

  void delivered() {
    messagesOut.increment();
  }

  /** A message not delivered to one subscriber, with the reason (queue-full, slow-subscriber, ...). */
  public void dropped(String reason) {
    dropped.computeIfAbsent(reason, r -> registry.counter("mqttgrid.messages.dropped", "reason", r)).increment();
  }
}
