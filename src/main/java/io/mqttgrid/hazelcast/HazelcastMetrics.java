package io.mqttgrid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The Hazelcast member's meters: cluster members it sees, entries of the broker's maps it holds.
 *
 * <p>Map entries are this member's share (owned and backup), read from local statistics: a scrape
 * runs on an event loop and must not make the cluster-wide call {@code IMap.size()}. Summed over
 * the nodes, the owned entries are the map's size.
 */
public final class HazelcastMetrics {

  /** The broker's Hazelcast maps with a meter (docs/architecture.md, "Where state lives"). */
  public static final List<String> BROKER_MAPS =
      List.of(
          HazelcastSessionStore.SESSIONS,
          HazelcastSessionStore.QUEUES,
          HazelcastSessionStore.CONNECTIONS,
          HazelcastRetainedStore.MAP,
          HazelcastRouteTable.MAP,
          HazelcastPendingEvents.MAP);

  private HazelcastMetrics() {}

  public static void bind(MeterRegistry registry, HazelcastInstance hazelcast) {
    Gauge.builder(
            "hazelcast.cluster.size",
            hazelcast,
            hz -> running(hz) ? hz.getCluster().getMembers().size() : 0)
        .description("Hazelcast members this node sees, itself included")
        .register(registry);
    for (String name : BROKER_MAPS) {
      IMap<Object, Object> map = hazelcast.getMap(name);
      mapGauge(
          registry,
          hazelcast,
          map,
          "hazelcast.map.owned.entries",
          "Entries of a broker map this member owns (summed over the members: the map's size)",
          m -> m.getLocalMapStats().getOwnedEntryCount());
      mapGauge(
          registry,
          hazelcast,
          map,
          "hazelcast.map.backup.entries",
          "Backup entries of a broker map this member holds for others",
          m -> m.getLocalMapStats().getBackupEntryCount());
    }
  }

  private static void mapGauge(
      MeterRegistry registry,
      HazelcastInstance hazelcast,
      IMap<Object, Object> map,
      String name,
      String description,
      ToDoubleFunction<IMap<Object, Object>> value) {
    Gauge.builder(name, map, m -> running(hazelcast) ? value.applyAsDouble(m) : 0)
        .description(description)
        .tag("map", map.getName())
        .register(registry);
  }

  private static boolean running(HazelcastInstance hazelcast) {
    return hazelcast.getLifecycleService().isRunning();
  }
}
