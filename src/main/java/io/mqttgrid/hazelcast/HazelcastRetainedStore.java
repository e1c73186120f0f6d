package io.mqttgrid.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.retain.RetainedTopicIndex;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Retained messages in a Hazelcast IMap keyed by topic (with backups, and a time-to-live where the
 * message expires); every node mirrors the set of topics into a {@link RetainedTopicIndex} through
 * an entry listener.
 */
public final class HazelcastRetainedStore implements RetainedStore {

  public static final String MAP = "mqttgrid.retained";

  private final Vertx vertx;
  private final IMap<String, byte[]> map;
  private final RetainedTopicIndex index = new RetainedTopicIndex();
  private final UUID listener;
  private final HazelcastInstance hz;
  private final UUID mergeListener;

  public HazelcastRetainedStore(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.map = hz.getMap(MAP);
    this.listener = map.addEntryListener(new IndexListener(), false);
    this.hz = hz;
    // after a network split heals, the topics the other side retained meanwhile sent no event here
    this.mergeListener =
        hz.getLifecycleService()
            .addLifecycleListener(
                event -> {
                  if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    indexAll();
                  }
                });
    // entries that existed before this node joined
    indexAll();
  }

  private void indexAll() {
    for (String topic : map.keySet()) {
      index.add(topic);
    }
  }

  @Override
  public Future<Void> put(PublishedMessage message) {
    String topic = message.topic();
    if (message.payload().length == 0) {
      index.remove(topic);
      return HazelcastFutures.onContext(map.removeAsync(topic), vertx.getOrCreateContext())
          .mapEmpty();
    }
    // index at once too: a subscriber on this node right after the publish must find it
    index.add(topic);
    byte[] value = message.toBytes();
    if (message.expiresAtMillis() != 0) {
      long ttl = Math.max(1, message.expiresAtMillis() - System.currentTimeMillis());
      return HazelcastFutures.onContext(
          map.setAsync(topic, value, ttl, TimeUnit.MILLISECONDS), vertx.getOrCreateContext());
    }
    return HazelcastFutures.onContext(map.setAsync(topic, value), vertx.getOrCreateContext());
  }

  @Override
  public Future<List<PublishedMessage>> match(String filter) {
    List<String> topics = index.match(filter);
    if (topics.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Future<byte[]>> gets = new ArrayList<>(topics.size());
    for (String t : topics) {
      gets.add(HazelcastFutures.onContext(map.getAsync(t), vertx.getOrCreateContext()));
    }
    return Future.all(gets)
        .map(
            all -> {
              long now = System.currentTimeMillis();
              List<PublishedMessage> out = new ArrayList<>(topics.size());
              for (int i = 0; i < gets.size(); i++) {
                byte[] b = gets.get(i).result();
                if (b != null) {
                  PublishedMessage m = PublishedMessage.fromBytes(b);
                  if (!m.isExpired(now)) {
                    out.add(m);
                  }
                }
              }
              return out;
            });
  }

  @Override
  public Future<PublishedMessage> get(String topic) {
    return HazelcastFutures.onContext(map.getAsync(topic), vertx.getOrCreateContext())
        .map(b -> b == null ? null : PublishedMessage.fromBytes(b))
        .map(m -> m == null || m.isExpired(System.currentTimeMillis()) ? null : m);
  }

  @Override
  public Future<Page> list(String filter, String afterTopic, int maxResults) {
    // one topic more than asked tells whether another page follows
    List<String> topics = index.page(filter, afterTopic, maxResults + 1);
    boolean more = topics.size() > maxResults;
    List<String> page = more ? topics.subList(0, maxResults) : topics;
    String continueAfter = more ? page.get(page.size() - 1) : null;
    if (page.isEmpty()) {
      return Future.succeededFuture(new Page(List.of(), null));
    }
    List<Future<byte[]>> gets = new ArrayList<>(page.size());
    for (String t : page) {
      gets.add(HazelcastFutures.onContext(map.getAsync(t), vertx.getOrCreateContext()));
    }
    return Future.all(gets)
        .map(
            all -> {
              long now = System.currentTimeMillis();
              List<PublishedMessage> out = new ArrayList<>(page.size());
              for (Future<byte[]> get : gets) {
                byte[] b = get.result();
                if (b != null) {
                  PublishedMessage m = PublishedMessage.fromBytes(b);
                  if (!m.isExpired(now)) {
                    out.add(m);
                  }
                }
              }
              return new Page(out, continueAfter);
            });
  }

  @Override
  public Future<Boolean> remove(String topic) {
    index.remove(topic);
    return HazelcastFutures.onContext(map.removeAsync(topic), vertx.getOrCreateContext())
        .map(
            old ->
                old != null
                    && !PublishedMessage.fromBytes(old).isExpired(System.currentTimeMillis()));
  }

  @Override
  public int size() {
    return index.size();
  }

  public void close() {
    map.removeEntryListener(Objects.requireNonNull(listener));
    hz.getLifecycleService().removeLifecycleListener(mergeListener);
  }

  private final class IndexListener
      implements EntryAddedListener<String, byte[]>,
          EntryRemovedListener<String, byte[]>,
          EntryExpiredListener<String, byte[]>,
          EntryEvictedListener<String, byte[]> {

    @Override
    public void entryAdded(EntryEvent<String, byte[]> event) {
      index.add(event.getKey());
    }

    @Override
    public void entryRemoved(EntryEvent<String, byte[]> event) {
      index.remove(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, byte[]> event) {
      index.remove(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, byte[]> event) {
      index.remove(event.getKey());
    }
  }
}
