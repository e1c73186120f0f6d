package io.mqttgrid.session;

import io.mqttgrid.routing.Subscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link SessionStore} in this JVM's memory, for fast unit tests of the session logic: the same
 * semantics as the Hazelcast store (both are held to {@link SessionStoreContract}), the same
 * conditional changes ({@link SessionEntryChanges}), with no cluster.
 *
 * <p>As with Hazelcast, each change of one key is atomic (here: one lock for the whole store),
 * values are copied in and out (a caller never shares an object with the store, as serialization
 * ensures there), and a future completes later on the caller's context, never inside the call.
 */
public final class InMemorySessionStore implements SessionStore {

  private final java.util.concurrent.atomic.AtomicInteger deletes =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger queueChanges =
      new java.util.concurrent.atomic.AtomicInteger();

  private volatile List<QueueChange> lastQueueChanges = List.of();
  private final Vertx vertx;
  private final Map<String, SessionRecord> sessions = new HashMap<>();
  private final Map<String, SessionQueue> queues = new HashMap<>();
  private final Map<String, String> connections = new HashMap<>();

  /** Queue claims wait for this before they take effect (a slow store, for tests of the gap). */
  private volatile Future<Void> claimGate = Future.succeededFuture();

  /** Queue changes wait for this before they take effect (a slow store, for ordering tests). */
  private volatile Future<Void> changeGate = Future.succeededFuture();

  /** Answers of record loads wait for this (a slow read). */
  private volatile Future<Void> loadGate = Future.succeededFuture();

  /** Answers of adoptions wait for this; the records move at once (a slow answer). */
  private volatile Future<Void> adoptionAnswerGate = Future.succeededFuture();

  public InMemorySessionStore(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Holds every queue claim until the answered promise completes, as a store round trip that takes
   * a while: the moment in which a new connection of a session is routed to but does not yet own
   * the queue.
   */
  public Promise<Void> holdQueueClaims() {
    Promise<Void> gate = Promise.promise();
    claimGate = gate.future();
    return gate;
  }

  /**
   * Holds every queue change ({@link #changeQueue}) called from now on until the answered promise
   * completes, as a batch that is still on its way to the store: appends whose publishers wait,
   * while other things (a reconnect) happen.
   */
  public Promise<Void> holdQueueChanges() {
    Promise<Void> gate = Promise.promise();
    changeGate = gate.future();
    return gate;
  }

  /**
   * Holds the answers of record loads until the answered promise completes: a connect that has read
   * which session it takes over, and not yet the record.
   */
  public Promise<Void> holdLoads() {
    Promise<Void> gate = Promise.promise();
    loadGate = gate.future();
    return gate;
  }

  /**
   * Holds the answers of {@link #adoptAll} until the answered promise completes; the records are
   * moved at once: the moment in which the store names the adopter as owner and the adopter has not
   * yet heard so.
   */
  public Promise<Void> holdAdoptionAnswers() {
    Promise<Void> gate = Promise.promise();
    adoptionAnswerGate = gate.future();
    return gate;
  }

  /** {@code answer}, handed to the caller's context once {@code gate} completes. */
  private <T> Future<T> after(Future<Void> gate, Future<T> answer) {
    if (gate.isComplete()) {
      return answer;
    }
    Context context = vertx.getOrCreateContext();
    Promise<T> later = Promise.promise();
    answer.onComplete(ar -> gate.onComplete(g -> context.runOnContext(v -> later.handle(ar))));
    return later.future();
  }

  private <T> Future<T> answer(Supplier<T> operation) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    T result;
    try {
      synchronized (this) {
        result = operation.get();
      }
    } catch (RuntimeException e) {
      context.runOnContext(v -> promise.fail(e));
      return promise.future();
    }
    context.runOnContext(v -> promise.complete(result));
    return promise.future();
  }

  /**
   * Applies a change to one entry of {@code map} as an entry processor would: setValue(null)
   * removes.
   */
  private static <V, R> R change(
      Map<String, V> map, String key, Function<Map.Entry<String, V>, R> operation) {
    Entry<V> entry = new Entry<>(key, map.get(key));
    R result = operation.apply(entry);
    if (entry.set) {
      if (entry.value == null) {
        map.remove(key);
      } else {
        map.put(key, entry.value);
      }
    }
    return result;
  }

  private static final class Entry<V> implements Map.Entry<String, V> {
    private final String key;
    private V value;
    private boolean set;

    Entry(String key, V value) {
      this.key = key;
      this.value = value;
    }

    @Override
    public String getKey() {
      return key;
    }

    @Override
    public V getValue() {
      return value;
    }

    @Override
    public V setValue(V newValue) {
      V old = value;
      value = newValue;
      set = true;
      return old;
    }
  }

  @Override
  public Future<SessionRecord> load(String clientId) {
    return after(
        loadGate,
        answer(
            () -> {
              SessionRecord r = sessions.get(clientId);
              return r == null ? null : r.copy();
            }));
  }

  @Override
  public Future<Void> save(SessionRecord record) {
    SessionRecord copy = record.copy();
    return answer(
        () -> {
          sessions.put(copy.clientId(), copy);
          return null;
        });
  }

  @Override
  public Future<SessionRecord> saveOver(SessionRecord record) {
    SessionRecord copy = record.copy();
    return answer(() -> sessions.put(copy.clientId(), copy));
  }

  /** How many times {@link #delete} was called. */
  public int deletes() {
    return deletes.get();
  }

  @Override
  public Future<Void> delete(String clientId) {
    deletes.incrementAndGet();
    return answer(
        () -> {
          sessions.remove(clientId);
          queues.remove(clientId);
          return null;
        });
  }

  @Override
  public Future<Boolean> deleteIfOwnedBy(String clientId, String connectionId) {
    return answer(
        () -> {
          boolean deleted =
              change(sessions, clientId, e -> SessionEntryChanges.deleteIfOwnedBy(e, connectionId));
          if (deleted) {
            queues.remove(clientId);
          }
          return deleted;
        });
  }

  @Override
  public Future<Boolean> markOffline(
      String clientId, String connectionId, long expirySeconds, long atMillis) {
    return answer(
        () ->
            change(
                sessions,
                clientId,
                e -> SessionEntryChanges.markOffline(e, connectionId, expirySeconds, atMillis)));
  }

  @Override
  public Future<Void> saveSubscriptions(
      String clientId, String connectionId, List<Subscription> subs) {
    List<Subscription> copy = List.copyOf(subs);
    return answer(
        () -> {
          change(
              sessions, clientId, e -> SessionEntryChanges.setSubscriptions(e, connectionId, copy));
          return null;
        });
  }

  @Override
  public Future<Void> addAwaitingRelease(String clientId, int packetId) {
    return answer(
        () -> {
          change(sessions, clientId, e -> SessionEntryChanges.awaitingRelease(e, packetId, true));
          return null;
        });
  }

  @Override
  public Future<Void> removeAwaitingRelease(String clientId, int packetId) {
    return answer(
        () -> {
          change(sessions, clientId, e -> SessionEntryChanges.awaitingRelease(e, packetId, false));
          return null;
        });
  }

  /** The changes of the last {@link #changeQueue} call. */
  public List<QueueChange> lastQueueChanges() {
    return lastQueueChanges;
  }

  /** How many times {@link #changeQueue} was called: store operations on queues. */
  public int queueChanges() {
    return queueChanges.get();
  }

  @Override
  public Future<List<SessionQueue.AppendResult>> changeQueue(
      String clientId, String connectionId, List<QueueChange> changes) {
    queueChanges.incrementAndGet();
    lastQueueChanges = List.copyOf(changes);
    List<QueueChange> copies = new ArrayList<>(changes.size());
    for (QueueChange c : changes) {
      copies.add(
          c.message() == null
              ? c
              : QueueChange.append(c.message().copy(), c.maxQueued(), c.maxQueuedBytes()));
    }
    Supplier<Future<List<SessionEntryChanges.Appended>>> apply =
        () ->
            answer(
                () ->
                    change(
                        queues,
                        clientId,
                        e -> SessionEntryChanges.changeQueue(e, copies, connectionId)));
    Future<Void> gate = changeGate;
    Future<List<SessionEntryChanges.Appended>> changed;
    if (gate.isComplete()) {
      changed = apply.get();
    } else {
      // applied once the gate opens, on the caller's context, as any other answer
      Context caller = vertx.getOrCreateContext();
      Promise<List<SessionEntryChanges.Appended>> later = Promise.promise();
      gate.onComplete(g -> caller.runOnContext(v -> apply.get().onComplete(later)));
      changed = later.future();
    }
    return changed.map(
        appended -> {
          List<SessionQueue.AppendResult> results = new ArrayList<>(appended.size());
          int i = 0;
          for (QueueChange c : changes) {
            if (c.kind() == QueueChange.Kind.APPEND) {
              c.message().seq(appended.get(i).seq());
              results.add(appended.get(i).result());
              i++;
            }
          }
          return results;
        });
  }

  /** How many times {@link #readQueue} was called. */
  public int queueReads() {
    return queueReads.get();
  }

  private final java.util.concurrent.atomic.AtomicInteger queueReads =
      new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public Future<SessionQueue.Slice> readQueue(
      String clientId, long fromSeq, int maxMessages, long maxBytes) {
    queueReads.incrementAndGet();
    return answer(
        () -> {
          SessionQueue q = queues.get(clientId);
          return q == null
              ? new SessionQueue.Slice(List.of(), false)
              : q.queuedFrom(fromSeq, maxMessages, maxBytes);
        });
  }

  @Override
  public Future<List<QueuedMessage>> queued(String clientId) {
    return answer(
        () -> {
          SessionQueue q = queues.get(clientId);
          return q == null ? List.of() : q.snapshot();
        });
  }

  @Override
  public Future<List<QueuedMessage>> claimQueue(
      String clientId, String connectionId, boolean emptyIt) {
    return claimGate.compose(
        v ->
            answer(
                () ->
                    change(
                        queues,
                        clientId,
                        e -> SessionEntryChanges.claimQueue(e, connectionId, emptyIt))));
  }

  @Override
  public Future<List<SessionRecord>> ownedBy(String node) {
    return answer(
        () -> {
          List<SessionRecord> out = new ArrayList<>();
          for (SessionRecord r : sessions.values()) {
            if (SessionEntryChanges.ownedBy(r, node)) {
              out.add(r.copy());
            }
          }
          return out;
        });
  }

  @Override
  public Future<SessionRecord> adopt(
      String clientId, String deadNode, String newOwner, long nowMillis) {
    return answer(
        () ->
            change(
                sessions,
                clientId,
                e -> SessionEntryChanges.adopt(e, deadNode, newOwner, nowMillis)));
  }

  @Override
  public Future<Map<String, SessionRecord>> adoptAll(
      Set<String> clientIds, String deadNode, String newOwner, long nowMillis) {
    return after(
        adoptionAnswerGate,
        answer(
            () -> {
              Map<String, SessionRecord> out = new HashMap<>();
              for (String id : clientIds) {
                SessionRecord before =
                    change(
                        sessions,
                        id,
                        e -> SessionEntryChanges.adopt(e, deadNode, newOwner, nowMillis));
                if (before != null) {
                  out.put(id, before);
                }
              }
              return out;
            }));
  }

  @Override
  public Future<List<SessionRecord>> all() {
    return answer(
        () -> {
          List<SessionRecord> out = new ArrayList<>();
          for (SessionRecord r : sessions.values()) {
            out.add(r.copy());
          }
          return out;
        });
  }

  @Override
  public Future<SessionRecord> restore(
      String clientId, String connectionId, String newOwner, long nowMillis) {
    return answer(
        () ->
            change(
                sessions,
                clientId,
                e -> SessionEntryChanges.restore(e, connectionId, newOwner, nowMillis)));
  }

  @Override
  public Future<Void> purgeConnections(String node) {
    return answer(
        () -> {
          connections.values().removeIf(v -> SessionEntryChanges.connectedTo(v, node));
          return null;
        });
  }

  @Override
  public Future<String> claimConnection(String clientId, String node, String connectionId) {
    return answer(
        () -> connections.put(clientId, SessionEntryChanges.connectionValue(node, connectionId)));
  }

  @Override
  public Future<Void> releaseConnection(String clientId, String connectionId) {
    return answer(
        () -> {
          change(
              connections, clientId, e -> SessionEntryChanges.releaseConnection(e, connectionId));
          return null;
        });
  }
}
