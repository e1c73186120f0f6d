package io.mqttgrid.access;

import io.vertx.core.Future;
import java.util.Map;

/**
 * Where the namespace model's resources are kept, cluster-wide: one JSON text per resource, under
 * the key {@code <kind path>/<name>}, and the settings under {@code settings}. {@link
 * NamespaceStore} holds the model's rules and snapshots; this is only its storage. The asynchronous
 * methods are called from event loops and complete on the caller's context; the others block and
 * are called from workers. The broker's implementation is {@code
 * io.mqttgrid.hazelcast.HazelcastNamespaceEntries}.
 */
public interface NamespaceEntries {

  /** The value under {@code key}, or null. */
  Future<String> get(String key);

  Future<Void> put(String key, String json);

  /** Removes the value under {@code key}; answers it, or null when there was none. */
  Future<String> remove(String key);

  /** Blocking: every entry. */
  Map<String, String> all();

  /**
   * Blocking: the entries whose key starts with {@code prefix} (with {@code except}: does not),
   * selected where they are kept.
   */
  Map<String, String> withKeyPrefix(String prefix, boolean except);

  /** Blocking: the value under {@code key}, or null. */
  String getNow(String key);

  /** Blocking. */
  void putNow(String key, String json);

  /** Blocking. */
  void removeNow(String key);

  /**
   * {@code changed} runs after any node added, updated or removed an entry, and after a network
   * split healed (changes made on the other side meanwhile sent no event here); on any thread,
   * possibly several at once.
   */
  void onChange(Runnable changed);
}
