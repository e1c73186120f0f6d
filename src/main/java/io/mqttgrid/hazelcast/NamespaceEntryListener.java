package io.mqttgrid.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.query.Predicates;

/**
 * The changes of the namespace map's entries that this member owns: Hazelcast calls a local entry
 * listener only on the member owning the entry's partition, so each change is seen by one node.
 */
public final class NamespaceEntryListener
    implements EntryAddedListener<String, String>,
        EntryUpdatedListener<String, String>,
        EntryRemovedListener<String, String> {

  /** A change of entry {@code key} from {@code before} to {@code after} (null: absent). */
  @FunctionalInterface
  public interface Change {
    void changed(String key, String after, String before);
  }

  private final Change target;

  private NamespaceEntryListener(Change target) {
    this.target = target;
  }

  /** Calls {@code target} for every change of an entry of the namespace map this member owns. */
  public static void listenToOwnedEntries(HazelcastInstance hz, Change target) {
    IMap<String, String> map = hz.getMap(HazelcastNamespaceEntries.MAP);
    map.addLocalEntryListener(new NamespaceEntryListener(target), Predicates.alwaysTrue(), true);
  }

  @Override
  public void entryAdded(EntryEvent<String, String> event) {
    target.changed(event.getKey(), event.getValue(), null);
  }

  @Override
  public void entryUpdated(EntryEvent<String, String> event) {
    target.changed(event.getKey(), event.getValue(), event.getOldValue());
  }

  @Override
  public void entryRemoved(EntryEvent<String, String> event) {
    target.changed(event.getKey(), null, event.getOldValue());
  }
}
