package io.mqttgrid.http;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.mqttgrid.cluster.HazelcastRouteTable;
import io.mqttgrid.retain.HazelcastRetainedStore;
import io.mqttgrid.session.HazelcastSessionStore;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Node basics next to the MQTT meters: the JVM (memory, GC, threads, class loading, CPU) and the Hazelcast
 * member (cluster members it sees, entries of the broker's maps it holds).
 *
 * <p>Map entries are this member's share (owned and backup), read from local statistics: a scrape runs on an
 * event loop and must not make the cluster-wide call {@code IMap.size()}. Summed over the nodes, the owned
 * entries are the map's size.
 */
public final class NodeMetrics {

  /** The broker's Hazelcast maps (ARCHITECTURE.md section 2). */
  static final List<String> BROKER_MAPS = List.of(HazelcastSessionStore.SESSIONS, HazelcastSessionStore.QUEUES,
      HazelcastSessionStore.CONNECTIONS, HazelcastRetainedStore.MAP, HazelcastRouteTable.MAP);

  private NodeMetrics() {
  }

  /** Registers the meters; the GC listener goes away when the Hazelcast member shuts down with the node. */
  public static void bind(MeterRegistry registry, HazelcastInstance hazelcast) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.SHUTDOWN) {
        gc.close();
      }
    });

    Gauge.builder("hazelcast.cluster.size", hazelcast, hz -> running(hz) ? hz.getCluster().getMembers().size() : 0)
        .description("Hazelcast members this node sees, itself included").register(registry);
    for (String name : BROKER_MAPS) {
      IMap<Object, Object> map = hazelcast.getMap(name);
      mapGauge(registry, hazelcast, map, "hazelcast.map.owned.entries",
          "Entries of a broker map this member owns (summed over the members: the map's size)",
          m -> m.getLocalMapStats().getOwnedEntryCount());
      mapGauge(registry, hazelcast, map, "hazelcast.map.backup.entries",
          "Backup entries of a broker map this member holds for others",
          m -> m.getLocalMapStats().getBackupEntryCount());
    }
  }

  private static void mapGauge(MeterRegistry registry, HazelcastInstance hazelcast, IMap<Object, Object> map,
                               String name, String description, ToDoubleFunction<IMap<Object, Object>> value) {
    Gauge.builder(name, map, m -> running(hazelcast) ? value.applyAsDouble(m) : 0)
        .description(description).tag("map", map.getName()).register(registry);
  }

  private static boolean running(HazelcastInstance hazelcast) {
    return hazelcast.getLifecycleService().isRunning();
  }
}
