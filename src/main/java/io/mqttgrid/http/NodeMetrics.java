package io.mqttgrid.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;

/**
 * Node basics next to the MQTT meters: the JVM (memory, GC, threads, class loading, CPU). The
 * Hazelcast member's meters are {@code io.mqttgrid.hazelcast.HazelcastMetrics}.
 */
public final class NodeMetrics {

  private NodeMetrics() {}

  /**
   * Registers the meters; answers the GC meters, whose JVM listener the caller closes when the node
   * stops.
   */
  public static JvmGcMetrics bind(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return gc;
  }
}
