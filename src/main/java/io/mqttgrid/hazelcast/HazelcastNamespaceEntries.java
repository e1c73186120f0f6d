package io.mqttgrid.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.mqttgrid.access.NamespaceEntries;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The namespace model's resources in the IMap {@code mqttgrid.namespace}, so every node sees the
 * same model; a change made on one node reaches all of them through an entry listener.
 */
public final class HazelcastNamespaceEntries implements NamespaceEntries {

  public static final String MAP = "mqttgrid.namespace";

  /** The bridge's dataflow endpoints and dataflows made through the management API. */
  public static final String BRIDGE_MAP = "mqttgrid.bridge";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final IMap<String, String> map;

  public HazelcastNamespaceEntries(Vertx vertx, HazelcastInstance hz) {
    this(vertx, hz, MAP);
  }

  /**
   * The same kind of store in the IMap {@code map}: the bridge's dataflow endpoints and dataflows
   * made through the management API are kept so ({@link #BRIDGE_MAP}).
   */
  public HazelcastNamespaceEntries(Vertx vertx, HazelcastInstance hz, String map) {
    this.vertx = vertx;
    this.hz = hz;
    this.map = hz.getMap(map);
  }

  @Override
  public Future<String> get(String key) {
    return HazelcastFutures.onContext(map.getAsync(key), vertx.getOrCreateContext());
  }

  @Override
  public Future<Void> put(String key, String json) {
    return HazelcastFutures.onContext(map.setAsync(key, json), vertx.getOrCreateContext());
  }

  @Override
  public Future<String> remove(String key) {
    return HazelcastFutures.onContext(map.removeAsync(key), vertx.getOrCreateContext());
  }

  @Override
  public Map<String, String> all() {
    return copy(map.entrySet());
  }

  @Override
  public Map<String, String> withKeyPrefix(String prefix, boolean except) {
    return copy(map.entrySet(new KeyHasPrefix(prefix, except)));
  }

  @Override
  public String getNow(String key) {
    return map.get(key);
  }

  @Override
  public void putNow(String key, String json) {
    map.set(key, json);
  }

  @Override
  public void removeNow(String key) {
    map.remove(key);
  }

  @Override
  public void onChange(Runnable changed) {
    map.addEntryListener(new ChangeListener(changed), false);
    hz.getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                changed.run();
              }
            });
  }

  private static Map<String, String> copy(Set<Map.Entry<String, String>> entries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : entries) {
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private record ChangeListener(Runnable changed)
      implements EntryAddedListener<String, String>,
          EntryUpdatedListener<String, String>,
          EntryRemovedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      changed.run();
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changed.run();
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      changed.run();
    }
  }
}
