package io.mqttgrid.session;

import io.mqttgrid.routing.Subscription;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Sessions in Hazelcast: records, queues and connection owners, each an IMap keyed by client id so that a
 * session's record and queue live in the same partition. Queue changes are entry processors that touch one
 * message, never the whole queue.
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
    return StoreFutures.onContext(stage, vertx.getOrCreateContext());
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
  public Future<Void> delete(String clientId) {
    return Future.all(bridge(sessions.removeAsync(clientId)), bridge(queues.removeAsync(clientId))).mapEmpty();
  }

  @Override
  public Future<Boolean> deleteIfOwnedBy(String clientId, String connectionId) {
    return bridge(sessions.submitToKey(clientId, new DeleteIfOwner(connectionId))).compose(deleted -> {
      if (Boolean.TRUE.equals(deleted)) {
        return bridge(queues.removeAsync(clientId)).map(true);
      }
      return Future.succeededFuture(false);
    });
  }

  @Override
  public Future<Boolean> markOffline(String clientId, String connectionId, long expirySeconds, long atMillis) {
    return bridge(sessions.submitToKey(clientId, new MarkOffline(connectionId, expirySeconds, atMillis)));
  }

  @Override
  public Future<Void> saveSubscriptions(String clientId, String connectionId,
                                        List<Subscription> subs) {
    return bridge(sessions.submitToKey(clientId, new SetSubscriptions(connectionId, subs))).mapEmpty();
  }

  @Override
  public Future<Void> addAwaitingRelease(String clientId, int packetId) {
    return bridge(sessions.submitToKey(clientId, new AwaitingRelease(packetId, true))).mapEmpty();
  }

  @Override
  public Future<Void> removeAwaitingRelease(String clientId, int packetId) {
    return bridge(sessions.submitToKey(clientId, new AwaitingRelease(packetId, false))).mapEmpty();
  }

  @Override
  public Future<SessionQueue.AppendResult> append(String clientId, QueuedMessage message, int maxQueued,
                                                  long maxQueuedBytes, String connectionId) {
    return bridge(queues.submitToKey(clientId, new Append(message, maxQueued, maxQueuedBytes, connectionId)))
        .map(r -> {
          message.seq(r[1]);
          return SessionQueue.AppendResult.values()[(int) r[0]];
        });
  }

  @Override
  public Future<Void> markSent(String clientId, long seq, int packetId) {
    return bridge(queues.submitToKey(clientId, new Change(Change.SENT, seq, packetId))).mapEmpty();
  }

  @Override
  public Future<Void> markReleased(String clientId, long seq) {
    return bridge(queues.submitToKey(clientId, new Change(Change.RELEASED, seq, 0))).mapEmpty();
  }

  @Override
  public Future<Void> remove(String clientId, long seq) {
    return bridge(queues.submitToKey(clientId, new Change(Change.REMOVE, seq, 0))).mapEmpty();
  }

  @Override
  public Future<List<QueuedMessage>> claimQueue(String clientId, String connectionId, boolean emptyIt) {
    return bridge(queues.submitToKey(clientId, new ClaimQueue(connectionId, emptyIt)));
  }

  @Override
  public Future<List<QueuedMessage>> queued(String clientId) {
    return bridge(queues.getAsync(clientId)).map(q -> q == null ? List.of() : q.snapshot());
  }

  @Override
  public Future<List<SessionRecord>> ownedBy(String node) {
    // a cluster-wide query: done on a worker, it happens once per departed node
    return vertx.executeBlocking(() -> {
      List<SessionRecord> out = new java.util.ArrayList<>();
      for (Map.Entry<String, SessionRecord> e : sessions.entrySet(new OwnedBy(node))) {
        out.add(e.getValue());
      }
      return out;
    }, false);
  }

  @Override
  public Future<SessionRecord> adopt(String clientId, String deadNode, String newOwner, long nowMillis) {
    return bridge(sessions.submitToKey(clientId, new Adopt(deadNode, newOwner, nowMillis)));
  }

  @Override
  public Future<Void> purgeConnections(String node) {
    return vertx.executeBlocking(() -> {
      connections.removeAll(new ConnectedTo(node));
      return null;
    }, false);
  }

  @Override
  public Future<String> claimConnection(String clientId, String node, String connectionId) {
    return bridge(connections.putAsync(clientId, node + "|" + connectionId));
  }

  @Override
  public Future<Void> releaseConnection(String clientId, String connectionId) {
    return bridge(connections.submitToKey(clientId, new ReleaseConnection(connectionId))).mapEmpty();
  }

  // Entry processors. They run on the partition owner and, applied again, on each backup: each is
  // deterministic, so owner and backups stay equal.

  /** Appends one message; answers {result ordinal, seq}. */
  public static final class Append implements EntryProcessor<String, SessionQueue, long[]>, DataSerializable {
    private QueuedMessage message;
    private int maxQueued;
    private long maxBytes;
    private String appender;

    public Append() {
    }

    Append(QueuedMessage message, int maxQueued, long maxBytes, String appender) {
      this.message = message;
      this.maxQueued = maxQueued;
      this.maxBytes = maxBytes;
      this.appender = appender;
    }

    @Override
    public long[] process(Map.Entry<String, SessionQueue> entry) {
      SessionQueue q = entry.getValue();
      if (q == null) {
        q = new SessionQueue();
      }
      QueuedMessage copy = message.copy();
      SessionQueue.AppendResult r = q.append(copy, maxQueued, maxBytes, appender);
      entry.setValue(q);
      return new long[] {r.ordinal(), copy.seq()};
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      message.writeData(out);
      out.writeInt(maxQueued);
      out.writeLong(maxBytes);
      out.writeString(appender);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      message = new QueuedMessage();
      message.readData(in);
      maxQueued = in.readInt();
      maxBytes = in.readLong();
      appender = in.readString();
    }
  }

  /** Gives the queue to a connection and answers its content. */
  public static final class ClaimQueue implements EntryProcessor<String, SessionQueue, List<QueuedMessage>>,
      DataSerializable {
    private String connectionId;
    private boolean emptyIt;

    public ClaimQueue() {
    }

    ClaimQueue(String connectionId, boolean emptyIt) {
      this.connectionId = connectionId;
      this.emptyIt = emptyIt;
    }

    @Override
    public List<QueuedMessage> process(Map.Entry<String, SessionQueue> entry) {
      SessionQueue q = entry.getValue();
      if (q == null || emptyIt) {
        q = new SessionQueue();
      }
      q.claim(connectionId);
      entry.setValue(q);
      return q.snapshot();
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(connectionId);
      out.writeBoolean(emptyIt);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      connectionId = in.readString();
      emptyIt = in.readBoolean();
    }
  }

  /** Marks one queued message sent or released, or removes it. */
  public static final class Change implements EntryProcessor<String, SessionQueue, Boolean>, DataSerializable {
    static final int SENT = 0;
    static final int RELEASED = 1;
    static final int REMOVE = 2;
    private int kind;
    private long seq;
    private int packetId;

    public Change() {
    }

    Change(int kind, long seq, int packetId) {
      this.kind = kind;
      this.seq = seq;
      this.packetId = packetId;
    }

    @Override
    public Boolean process(Map.Entry<String, SessionQueue> entry) {
      SessionQueue q = entry.getValue();
      if (q == null) {
        return false;
      }
      switch (kind) {
        case SENT -> q.markSent(seq, packetId);
        case RELEASED -> q.markReleased(seq);
        default -> q.remove(seq);
      }
      entry.setValue(q);
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(kind);
      out.writeLong(seq);
      out.writeInt(packetId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      kind = in.readInt();
      seq = in.readLong();
      packetId = in.readInt();
    }
  }

  /** Deletes the session record if the given connection still owns it. */
  public static final class DeleteIfOwner implements EntryProcessor<String, SessionRecord, Boolean>,
      DataSerializable {
    private String connectionId;

    public DeleteIfOwner() {
    }

    DeleteIfOwner(String connectionId) {
      this.connectionId = connectionId;
    }

    @Override
    public Boolean process(Map.Entry<String, SessionRecord> entry) {
      SessionRecord r = entry.getValue();
      if (r != null && connectionId.equals(r.connectionId())) {
        entry.setValue(null);
        return true;
      }
      return false;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(connectionId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      connectionId = in.readString();
    }
  }

  /** Marks the record offline, with its final expiry, if the given connection still owns it. */
  public static final class MarkOffline implements EntryProcessor<String, SessionRecord, Boolean>,
      DataSerializable {
    private String connectionId;
    private long expirySeconds;
    private long atMillis;

    public MarkOffline() {
    }

    MarkOffline(String connectionId, long expirySeconds, long atMillis) {
      this.connectionId = connectionId;
      this.expirySeconds = expirySeconds;
      this.atMillis = atMillis;
    }

    @Override
    public Boolean process(Map.Entry<String, SessionRecord> entry) {
      SessionRecord r = entry.getValue();
      if (r != null && connectionId.equals(r.connectionId())) {
        entry.setValue(r.expirySeconds(expirySeconds).offline(atMillis));
        return true;
      }
      return false;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(connectionId);
      out.writeLong(expirySeconds);
      out.writeLong(atMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      connectionId = in.readString();
      expirySeconds = in.readLong();
      atMillis = in.readLong();
    }
  }

  /** Replaces the subscriptions of a record the given connection still owns. */
  public static final class SetSubscriptions implements EntryProcessor<String, SessionRecord, Boolean>,
      DataSerializable {
    private String connectionId;
    private List<Subscription> subscriptions;

    public SetSubscriptions() {
    }

    SetSubscriptions(String connectionId, List<Subscription> subscriptions) {
      this.connectionId = connectionId;
      this.subscriptions = subscriptions;
    }

    @Override
    public Boolean process(Map.Entry<String, SessionRecord> entry) {
      SessionRecord r = entry.getValue();
      if (r == null || !connectionId.equals(r.connectionId())) {
        return false;
      }
      entry.setValue(r.subscriptions(subscriptions));
      return true;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(connectionId);
      SessionRecord.writeSubscriptions(out, subscriptions);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      connectionId = in.readString();
      subscriptions = SessionRecord.readSubscriptions(in);
    }
  }

  /** Adds or removes an inbound QoS 2 packet id that waits for PUBREL. */
  public static final class AwaitingRelease implements EntryProcessor<String, SessionRecord, Boolean>,
      DataSerializable {
    private int packetId;
    private boolean add;

    public AwaitingRelease() {
    }

    AwaitingRelease(int packetId, boolean add) {
      this.packetId = packetId;
      this.add = add;
    }

    @Override
    public Boolean process(Map.Entry<String, SessionRecord> entry) {
      SessionRecord r = entry.getValue();
      if (r == null) {
        return false;
      }
      boolean changed = add ? r.awaitingRelease().add(packetId) : r.awaitingRelease().remove(packetId);
      if (changed) {
        entry.setValue(r);
      }
      return changed;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(packetId);
      out.writeBoolean(add);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      packetId = in.readInt();
      add = in.readBoolean();
    }
  }

  /** Session records whose owner is a given node. */
  public static final class OwnedBy implements com.hazelcast.query.Predicate<String, SessionRecord>,
      DataSerializable {
    private String node;

    public OwnedBy() {
    }

    OwnedBy(String node) {
      this.node = node;
    }

    @Override
    public boolean apply(Map.Entry<String, SessionRecord> entry) {
      return entry.getValue() != null && node.equals(entry.getValue().ownerNode());
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }
  }

  /** Connection records naming a given node. */
  public static final class ConnectedTo implements com.hazelcast.query.Predicate<String, String>, DataSerializable {
    private String node;

    public ConnectedTo() {
    }

    ConnectedTo(String node) {
      this.node = node;
    }

    @Override
    public boolean apply(Map.Entry<String, String> entry) {
      return entry.getValue() != null && entry.getValue().startsWith(node + "|");
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }
  }

  /** Moves a departed node's session to a survivor, unless someone else took it meanwhile. */
  public static final class Adopt implements EntryProcessor<String, SessionRecord, SessionRecord>, DataSerializable {
    private String deadNode;
    private String newOwner;
    private long nowMillis;

    public Adopt() {
    }

    Adopt(String deadNode, String newOwner, long nowMillis) {
      this.deadNode = deadNode;
      this.newOwner = newOwner;
      this.nowMillis = nowMillis;
    }

    @Override
    public SessionRecord process(Map.Entry<String, SessionRecord> entry) {
      SessionRecord r = entry.getValue();
      if (r == null || !deadNode.equals(r.ownerNode())) {
        return null;
      }
      SessionRecord before = r.copy();
      r.owner(newOwner);
      if (r.connected()) {
        r.offline(nowMillis);
      }
      entry.setValue(r);
      return before;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(deadNode);
      out.writeString(newOwner);
      out.writeLong(nowMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      deadNode = in.readString();
      newOwner = in.readString();
      nowMillis = in.readLong();
    }
  }

  /** Removes the connection record if it still names the given connection. */
  public static final class ReleaseConnection implements EntryProcessor<String, String, Boolean>, DataSerializable {
    private String connectionId;

    public ReleaseConnection() {
    }

    ReleaseConnection(String connectionId) {
      this.connectionId = connectionId;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      String v = entry.getValue();
      if (v != null && v.endsWith("|" + connectionId)) {
        entry.setValue(null);
        return true;
      }
      return false;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(connectionId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      connectionId = in.readString();
    }
  }
}
