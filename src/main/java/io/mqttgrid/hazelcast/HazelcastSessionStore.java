package io.mqttgrid.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueueChange;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionEntryChanges;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionRecord;
import io.mqttgrid.session.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Sessions in Hazelcast: records, queues and connection owners, each an IMap keyed by client id so
 * that a session's record and queue live in the same partition. Conditional changes are entry
 * processors (one file each, running {@link SessionEntryChanges}); queue changes touch the messages
 * they name, never the whole queue, and come in batches (one operation for what a session changed
 * while its previous batch was stored).
 */
public final class HazelcastSessionStore implements SessionStore {

  public static final String SESSIONS = "mqttgrid.sessions";
  public static final String QUEUES = "mqttgrid.queues";
  public static final String CONNECTIONS = "mqttgrid.connections";

  private final Vertx vertx;
  private final IMap<String, SessionRecord> sessions;
  private final IMap<String, SessionQueue> queues;
  private final IMap<String, String> connections;

  public HazelcastSessionStore(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.sessions = hz.getMap(SESSIONS);
    this.queues = hz.getMap(QUEUES);
    this.connections = hz.getMap(CONNECTIONS);
  }

  private <T> Future<T> bridge(CompletionStage<T> stage) {
    return HazelcastFutures.onContext(stage, vertx.getOrCreateContext());
  }

  @Override
  public Future<SessionRecord> load(String clientId) {
    return bridge(sessions.getAsync(clientId));
  }

  @Override
  public Future<Void> save(SessionRecord record) {
    return bridge(sessions.setAsync(record.clientId(), record));
  }

  @Override
  public Future<SessionRecord> saveOver(SessionRecord record) {
    return bridge(sessions.putAsync(record.clientId(), record));
  }

  @Override
  public Future<Void> delete(String clientId) {
    return Future.all(bridge(sessions.removeAsync(clientId)), bridge(queues.removeAsync(clientId)))
        .mapEmpty();
  }

  @Override
  public Future<Boolean> deleteIfOwnedBy(String clientId, String connectionId) {
    return bridge(sessions.submitToKey(clientId, new DeleteRecordIfOwned(connectionId)))
        .compose(
            deleted -> {
              if (Boolean.TRUE.equals(deleted)) {
                return bridge(queues.removeAsync(clientId)).map(true);
              }
              return Future.succeededFuture(false);
            });
  }

  @Override
  public Future<Boolean> markOffline(
      String clientId, String connectionId, long expirySeconds, long atMillis) {
    return bridge(
        sessions.submitToKey(
            clientId, new MarkRecordOffline(connectionId, expirySeconds, atMillis)));
  }

  @Override
  public Future<Void> saveSubscriptions(
      String clientId, String connectionId, List<Subscription> subs) {
    return bridge(sessions.submitToKey(clientId, new SetRecordSubscriptions(connectionId, subs)))
        .mapEmpty();
  }

  @Override
  public Future<Void> addAwaitingRelease(String clientId, int packetId) {
    return bridge(sessions.submitToKey(clientId, new ChangeAwaitingRelease(packetId, true)))
        .mapEmpty();
  }

  @Override
  public Future<Void> removeAwaitingRelease(String clientId, int packetId) {
    return bridge(sessions.submitToKey(clientId, new ChangeAwaitingRelease(packetId, false)))
        .mapEmpty();
  }

  @Override
  public Future<List<SessionQueue.AppendResult>> changeQueue(
      String clientId, String connectionId, List<QueueChange> changes) {
    return bridge(queues.submitToKey(clientId, new ChangeQueue(changes, connectionId)))
        .map(
            r -> {
              List<SessionQueue.AppendResult> results = new ArrayList<>(r.length / 2);
              int i = 0;
              for (QueueChange c : changes) {
                if (c.kind() == QueueChange.Kind.APPEND) {
                  c.message().seq(r[i + 1]);
                  results.add(SessionQueue.AppendResult.values()[(int) r[i]]);
                  i += 2;
                }
              }
              return results;
            });
  }

  @Override
  public Future<List<QueuedMessage>> claimQueue(
      String clientId, String connectionId, boolean emptyIt) {
    return bridge(queues.submitToKey(clientId, new ClaimQueue(connectionId, emptyIt)));
  }

  @Override
  public Future<SessionQueue.Slice> readQueue(
      String clientId, long fromSeq, int maxMessages, long maxBytes) {
    return bridge(queues.submitToKey(clientId, new ReadQueue(fromSeq, maxMessages, maxBytes)))
        .map(ReadQueue.Slice::slice);
  }

  @Override
  public Future<List<QueuedMessage>> queued(String clientId) {
    return bridge(queues.getAsync(clientId)).map(q -> q == null ? List.of() : q.snapshot());
  }

  @Override
  public Future<List<SessionRecord>> ownedBy(String node) {
    // a cluster-wide query: done on a worker, it happens once per departed node
    return vertx.executeBlocking(
        () -> {
          List<SessionRecord> out = new ArrayList<>();
          for (Map.Entry<String, SessionRecord> e : sessions.entrySet(new RecordOwnedBy(node))) {
            out.add(e.getValue());
          }
          return out;
        },
        false);
  }

  @Override
  public Future<SessionRecord> adopt(
      String clientId, String deadNode, String newOwner, long nowMillis) {
    return bridge(sessions.submitToKey(clientId, new AdoptRecord(deadNode, newOwner, nowMillis)));
  }

  @Override
  public Future<Map<String, SessionRecord>> adoptAll(
      Set<String> clientIds, String deadNode, String newOwner, long nowMillis) {
    return bridge(sessions.submitToKeys(clientIds, new AdoptRecord(deadNode, newOwner, nowMillis)))
        .map(
            moved -> {
              Map<String, SessionRecord> out = new HashMap<>();
              moved.forEach(
                  (id, before) -> {
                    if (before != null) {
                      out.put(id, before);
                    }
                  });
              return out;
            });
  }

  @Override
  public Future<List<SessionRecord>> all() {
    // a cluster-wide read: done on a worker, once at the start of the whole cluster
    return vertx.executeBlocking(() -> new ArrayList<>(sessions.values()), false);
  }

  /**
   * A case-insensitive match on the map's keys (the client ids), evaluated by each member on its
   * own partitions: only the matching records cross the network, where {@link #all()} would bring
   * every record to this node to be filtered here. A regular expression of the quoted text rather
   * than LIKE, whose escapes cannot say a backslash before its closing %.
   */
  @Override
  public Future<List<SessionRecord>> search(String text) {
    String regex = "(?isu).*" + Pattern.quote(text) + ".*";
    return vertx.executeBlocking(
        () -> new ArrayList<>(sessions.values(Predicates.regex("__key", regex))), false);
  }

  @Override
  public Future<SessionRecord> restore(
      String clientId, String connectionId, String newOwner, long nowMillis) {
    return bridge(
        sessions.submitToKey(clientId, new RestoreRecord(connectionId, newOwner, nowMillis)));
  }

  @Override
  public Future<Void> purgeConnections(String node) {
    return vertx.executeBlocking(
        () -> {
          connections.removeAll(new ConnectionToNode(node));
          return null;
        },
        false);
  }

  @Override
  public Future<String> claimConnection(String clientId, String node, String connectionId) {
    return bridge(
        connections.putAsync(clientId, SessionEntryChanges.connectionValue(node, connectionId)));
  }

  @Override
  public Future<Void> releaseConnection(String clientId, String connectionId) {
    return bridge(connections.submitToKey(clientId, new ReleaseConnection(connectionId)))
        .mapEmpty();
  }
}
