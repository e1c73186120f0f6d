package io.mqttgrid.session;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscriber;
import io.mqttgrid.routing.Subscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT session on this node (MQTT 5 section 4.1): its subscriptions, its outbound window and, for a
 * persistent session, the durable queue behind it. Every field is touched only on the session's own context
 * (the event loop of the connection that created it), so there are no locks; other threads hand work over
 * with {@link #onContext}.
 *
 * <p>A persistent session writes every QoS 1/2 message to its queue in the {@link SessionStore} before the
 * publisher is acknowledged, and removes it when the client acknowledges it; what the client has not
 * acknowledged when a node dies is still in the store. A clean session keeps messages in memory only.
 */
public final class Session implements Subscriber {

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  public enum State { ATTACHING, ONLINE, OFFLINE, CLOSED }

  /**
   * Bytes (message weights) held for the connection: waiting for room in the window or the socket, sent
   * and unacknowledged, written to the socket and not yet written out by it.
   */
  public record OutboundBytes(long waiting, long inflight, long socket) {
    public long total() {
      return waiting + inflight + socket;
    }
  }

  /** One message on its way to the client. */
  private static final class Outgoing {
    final PublishedMessage message;
    final int qos;
    final boolean retain;
    final int[] subscriptionIds;
    final String sharedGroup;
    final int weight;
    QueuedMessage stored;
    Future<SessionQueue.AppendResult> appended;
    int packetId;
    boolean released;
    boolean sentBefore;

    Outgoing(PublishedMessage message, int qos, boolean retain, int[] subscriptionIds, String sharedGroup) {
      this.message = message;
      this.qos = qos;
      this.retain = retain;
      this.subscriptionIds = subscriptionIds;
      this.sharedGroup = sharedGroup;
      this.weight = message.weight();
    }
  }

  private final String clientId;
  private final boolean persistent;
  private final String connectionId;
  private final Context context;
  private final Vertx vertx;
  private final SessionStore store;
  private final MessageRouter router;
  private final SessionLimits limits;
  private final SessionEvents events;

  private volatile State state = State.ATTACHING;
  private ClientChannel channel;
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
  private final ArrayDeque<Outgoing> pending = new ArrayDeque<>();
  /** Unacknowledged messages of an earlier connection that wait for room in this connection's window. */
  private final ArrayDeque<Outgoing> resend = new ArrayDeque<>();
  private final Set<Integer> resendIds = new HashSet<>();
  private final LinkedHashMap<Integer, Outgoing> inflight = new LinkedHashMap<>();
  private final List<Outgoing> attachBuffer = new ArrayList<>();
  private int lastPacketId;
  private boolean pumping;
  private boolean terminating;
  private final OutboundBudget budget;
  /** The PUBLISH packets written to the current connection's socket and not yet written out by it. */
  private OutboundBudget.Socket socket;
  private int storeOps;
  private List<Promise<Void>> storeIdleWaiters = new ArrayList<>();
  private long expirySeconds;
  private PublishedMessage will;
  private long willDelaySeconds;
  private long willTimer = -1;
  private long expiryTimer = -1;
  private boolean recordStored;

  Session(String clientId, boolean persistent, String connectionId, Context context, Vertx vertx,
          SessionStore store, MessageRouter router, SessionLimits limits, OutboundBudget.Totals outboundTotals,
          SessionEvents events) {
    this.clientId = clientId;
    this.persistent = persistent;
    this.connectionId = connectionId;
    this.context = context;
    this.vertx = vertx;
    this.store = store;
    this.router = router;
    this.limits = limits;
    this.events = events;
    this.budget = new OutboundBudget(limits, outboundTotals);
  }

  @Override
  public String clientId() {
    return clientId;
  }

  /** What this session holds for its connection now; call on the session's context. */
  public OutboundBytes outboundBytes() {
    return new OutboundBytes(budget.waitingBytes(), budget.inflightBytes(), socket == null ? 0 : socket.bytes());
  }

  public boolean persistent() {
    return persistent;
  }

  public String connectionId() {
    return connectionId;
  }

  public State state() {
    return state;
  }

  public Context context() {
    return context;
  }

  @Override
  public boolean isOnline() {
    return state == State.ONLINE;
  }

  /** Whether the store holds a record of this session (persistent, or carrying a will). */
  boolean recordStored() {
    return recordStored;
  }

  void recordStored(boolean stored) {
    this.recordStored = stored;
  }

  /** A session taken over from a departed node: offline, subscribed, filling its queue. */
  void startOffline(List<Subscription> subs) {
    restoreSubscriptions(subs);
    state = State.OFFLINE;
  }

  long expirySeconds() {
    return expirySeconds;
  }

  void expirySeconds(long seconds) {
    this.expirySeconds = seconds;
  }

  void will(PublishedMessage will, long delaySeconds) {
    this.will = will;
    this.willDelaySeconds = delaySeconds;
  }

  PublishedMessage will() {
    return will;
  }

  long willDelaySeconds() {
    return willDelaySeconds;
  }

  public List<Subscription> subscriptions() {
    return List.copyOf(subscriptions.values());
  }

  public boolean hasSubscription(String filter) {
    return subscriptions.containsKey(filter);
  }

  public int subscriptionCount() {
    return subscriptions.size();
  }

  /** Adds or replaces a subscription; returns true if a subscription to that filter existed. */
  public boolean subscribe(Subscription s) {
    boolean existed = subscriptions.put(s.filter(), s) != null;
    router.subscribe(this, s);
    return existed;
  }

  public boolean unsubscribe(String filter) {
    if (subscriptions.remove(filter) == null) {
      return false;
    }
    router.unsubscribe(this, filter);
    return true;
  }

  void restoreSubscriptions(List<Subscription> subs) {
    for (Subscription s : subs) {
      subscribe(s);
    }
  }

  // ---- delivery (Subscriber) ----

  @Override
  public Future<Void> deliver(PublishedMessage message, int qos, boolean retain, int[] subscriptionIds,
                              String sharedGroup) {
    Outgoing o = new Outgoing(message, qos, retain, subscriptionIds, sharedGroup);
    if (qos == 0 || !persistent) {
      onContext(() -> accept(o, null));
      return Future.succeededFuture();
    }
    Promise<Void> stored = Promise.promise();
    onContext(() -> accept(o, stored));
    return stored.future();
  }

  /** Sends retained messages on subscribe: same path as any delivery, in order after earlier ones. */
  public void deliverRetained(PublishedMessage message, int qos, boolean retain, int[] subscriptionIds) {
    deliver(message, qos, retain, subscriptionIds, null);
  }

  private void accept(Outgoing o, Promise<Void> stored) {
    if (state == State.CLOSED) {
      // a delivery that was already on its way when this session retired (taken over, adopted elsewhere):
      // a persistent session's publisher must not hear "stored", it retries and reaches the session where it
      // lives now
      if (stored != null) {
        stored.tryFail("session " + clientId + " is no longer served here");
      }
      return;
    }
    if (o.message.isExpired(System.currentTimeMillis())) {
      complete(stored);
      return;
    }
    if (o.qos == 0) {
      sendQos0(o);
      return;
    }
    boolean sendNow = state == State.ONLINE && resend.isEmpty() && pending.isEmpty() && canTransmit(o);
    if (!sendNow && state != State.OFFLINE && !budget.canWait(o.weight)) {
      overflow("queue-full");
      complete(stored);
      return;
    }
    if (sendNow) {
      o.packetId = nextPacketId();
    }
    if (persistent) {
      o.stored = new QueuedMessage(o.message.withQos(o.qos).withRetain(o.retain), o.subscriptionIds,
          o.sharedGroup, sendNow ? QueuedMessage.State.SENT : QueuedMessage.State.QUEUED, o.packetId);
      boolean offline = state == State.OFFLINE;
      o.appended = track(store.append(clientId, o.stored, offline ? limits.maxQueued() : limits.maxPending(),
          offline ? limits.maxQueuedBytes() : limits.maxPendingBytes(), connectionId));
      o.appended.onComplete(ar -> {
        if (ar.failed()) {
          LOG.warn("session {}: could not store a QoS {} message: {}", clientId, o.qos, ar.cause().toString());
          if (stored != null) {
            stored.tryFail(ar.cause());
          }
          return;
        }
        if (ar.result() == SessionQueue.AppendResult.FOREIGN) {
          // this session lives on elsewhere now: the publisher is told it did not get there (and retries,
          // reaching the new owner), and this stale copy goes away
          removeWaiting(o);
          if (stored != null) {
            stored.tryFail("session " + clientId + " moved to a newer connection");
          }
          events.moved(this);
          return;
        }
        if (ar.result() == SessionQueue.AppendResult.OVERFLOW) {
          removeWaiting(o);
          overflow("queue-full");
        }
        complete(stored);
      });
    } else {
      complete(stored);
    }
    if (sendNow) {
      transmit(o, false);
    } else if (state == State.ATTACHING) {
      attachBuffer.add(o);
      budget.waiting(o.weight);
    } else if (state == State.ONLINE) {
      pending.add(o);
      budget.waiting(o.weight);
    }
  }

  private void removeWaiting(Outgoing o) {
    if (pending.remove(o)) {
      budget.doneWaiting(o.weight);
    }
  }

  private void sendQos0(Outgoing o) {
    if (state == State.ATTACHING) {
      if (budget.canWait(o.weight)) {
        attachBuffer.add(o);
        budget.waiting(o.weight);
      } else {
        overflow("attach-buffer-full");
      }
      return;
    }
    if (state != State.ONLINE) {
      return;
    }
    if (!socket.hasRoom(o.weight)) {
      // QoS 0 has no queue of its own: what the client's socket cannot take now is dropped
      overflow("slow-subscriber");
      return;
    }
    if (channel.tooLargeForClient(o.message, 0, o.subscriptionIds)) {
      events.dropped(clientId, "packet-too-large-for-client");
      return;
    }
    write(o, 0, false, 0);
  }

  /**
   * Writes a PUBLISH and counts it against the socket until the socket reports it written: the session
   * writes no more than the socket's bound (vertx-mqtt's endpoint has no write-queue-full signal; the write's
   * future completes when Netty has handed the bytes to the operating system). Each completion is the
   * moment a QoS 1/2 message held back for socket room may go.
   */
  private void write(Outgoing o, int qos, boolean dup, int packetId) {
    OutboundBudget.Socket s = socket;
    s.written(o.weight);
    channel.sendPublish(o.message, qos, o.retain, dup, packetId, o.subscriptionIds).onComplete(ar -> {
      s.flushed(o.weight);
      if (ar.succeeded() && s == socket) {
        pump();
      }
    });
  }

  /** Whether a QoS 1/2 message may be sent now: room in the in-flight window and in the socket. */
  private boolean canTransmit(Outgoing o) {
    return budget.windowHasRoom(inflight.size(), channel.sendWindow(), o.weight)
        && (o.released || socket.hasRoom(o.weight));
  }

  /** A message did not fit a bound of this session: dropped (counted by {@code reason}), or the session ends. */
  private void overflow(String reason) {
    events.dropped(clientId, reason);
    if (limits.terminateOnOverflow() && state != State.CLOSED && !terminating) {
      // ended once: the messages that follow until the manager has taken the session down are only dropped
      terminating = true;
      LOG.warn("session {}: {} (session.overflow: terminate-session), session terminated (SessionOverflow)",
          clientId, reason);
      events.overflowed(this);
    }
  }

  private void transmit(Outgoing o, boolean dup) {
    if (channel.tooLargeForClient(o.message, o.qos, o.subscriptionIds)) {
      // MQTT-3.1.2-25: discard as if sent and acknowledged
      events.dropped(clientId, "packet-too-large-for-client");
      forget(o);
      return;
    }
    inflight.put(o.packetId, o);
    budget.inflight(o.weight);
    boolean wasSent = o.sentBefore;
    o.sentBefore = true;
    if (o.released) {
      channel.sendPubrel(o.packetId);
      return;
    }
    write(o, o.qos, dup || wasSent, o.packetId);
  }

  /** PUBACK, or PUBREC with an error reason, or PUBCOMP: the message is done. */
  public void acknowledged(int packetId) {
    Outgoing o = inflight.remove(packetId);
    if (o == null) {
      return;
    }
    budget.acknowledged(o.weight);
    forget(o);
    pump();
  }

  /** PUBREC with success: answer PUBREL and remember that it was released. */
  public void received(int packetId) {
    Outgoing o = inflight.get(packetId);
    if (o == null) {
      // MQTT-4.3.3: PUBREL even for an unknown id, with reason 0x92 in v5 (the channel decides)
      channel.sendPubrel(packetId);
      return;
    }
    o.released = true;
    channel.sendPubrel(packetId);
    if (o.appended != null) {
      o.appended.onSuccess(r -> {
        if (r != SessionQueue.AppendResult.OVERFLOW) {
          track(store.markReleased(clientId, o.stored.seq()));
        }
      });
    }
  }

  private void forget(Outgoing o) {
    if (o.appended != null) {
      o.appended.onSuccess(r -> {
        if (r == SessionQueue.AppendResult.APPENDED) {
          track(store.remove(clientId, o.stored.seq()));
        }
      });
    }
  }

  private void pump() {
    if (state != State.ONLINE || pumping) {
      return;
    }
    // a write may complete at once and call back in here: the loops below pick up what it made room for
    pumping = true;
    try {
      drain();
    } finally {
      pumping = false;
    }
  }

  private void drain() {
    while (!resend.isEmpty() && canTransmit(resend.peek())) {
      Outgoing o = resend.poll();
      budget.doneWaiting(o.weight);
      resendIds.remove(o.packetId);
      transmit(o, true);
    }
    long now = System.currentTimeMillis();
    while (!pending.isEmpty() && canTransmit(pending.peek())) {
      Outgoing o = pending.poll();
      budget.doneWaiting(o.weight);
      if (o.message.isExpired(now)) {
        events.dropped(clientId, "expired");
        forget(o);
        continue;
      }
      o.packetId = nextPacketId();
      if (o.appended != null) {
        o.appended.onSuccess(r -> {
          if (r == SessionQueue.AppendResult.APPENDED) {
            track(store.markSent(clientId, o.stored.seq(), o.packetId));
          }
        });
      }
      transmit(o, false);
    }
  }

  private int nextPacketId() {
    int id = lastPacketId;
    do {
      id = id == 65_535 ? 1 : id + 1;
    } while (inflight.containsKey(id) || resendIds.contains(id));
    lastPacketId = id;
    return id;
  }

  // ---- life cycle, driven by SessionManager on this context ----

  /** Starts serving a connection: resends what the store holds, then what arrived while attaching. */
  void attach(ClientChannel newChannel, List<QueuedMessage> queued) {
    this.channel = newChannel;
    this.socket = budget.newSocket();
    Set<String> seen = new HashSet<>();
    long now = System.currentTimeMillis();
    List<Outgoing> unacknowledged = new ArrayList<>();
    for (QueuedMessage q : queued) {
      seen.add(q.message().id());
      Outgoing o = new Outgoing(q.message(), q.message().qos(), q.message().retain(), q.subscriptionIds(),
          q.sharedGroup());
      o.stored = q;
      // a session resumed with expiry 0 holds what the store gave it in memory only
      o.appended = persistent ? Future.succeededFuture(SessionQueue.AppendResult.APPENDED) : null;
      if (q.state() == QueuedMessage.State.QUEUED) {
        if (q.message().isExpired(now)) {
          forget(o);
        } else {
          pending.add(o);
          budget.waiting(o.weight);
        }
      } else {
        o.packetId = q.packetId();
        o.released = q.state() == QueuedMessage.State.RELEASED;
        o.sentBefore = true;
        unacknowledged.add(o);
      }
    }
    state = State.ONLINE;
    // a write that completes at once calls pump(): not before every resent message has its place (the ids,
    // the order: resent ones before queued ones)
    pumping = true;
    try {
      // resent with their original ids (MQTT-4.4.0-1), but no more at once than the new connection's
      // Receive Maximum allows (MQTT-3.3.4-9): the window is not carried over from the old connection
      for (Outgoing o : unacknowledged) {
        lastPacketId = Math.max(lastPacketId, o.packetId);
        if (resend.isEmpty() && canTransmit(o)) {
          transmit(o, true);
        } else {
          resend.add(o);
          resendIds.add(o.packetId);
          budget.waiting(o.weight);
        }
      }
      for (Outgoing o : attachBuffer) {
        budget.doneWaiting(o.weight);
        if (o.qos == 0) {
          sendQos0(o);
        } else if (!seen.contains(o.message.id())) {
          pending.add(o);
          budget.waiting(o.weight);
        }
      }
      attachBuffer.clear();
    } finally {
      pumping = false;
    }
    pump();
  }

  /**
   * The connection ended. A clean session ends with it; a persistent one stays, offline, in the router so
   * that its queue keeps filling. Messages a departed shared-subscription member had not acknowledged go
   * to another member.
   */
  void detach() {
    if (state == State.CLOSED) {
      return;
    }
    List<Outgoing> unfinished = new ArrayList<>(inflight.values());
    unfinished.addAll(resend);
    unfinished.addAll(pending);
    unfinished.addAll(attachBuffer);
    inflight.clear();
    resend.clear();
    resendIds.clear();
    pending.clear();
    attachBuffer.clear();
    budget.clear();
    channel = null;
    socket = null;
    if (persistent) {
      state = State.OFFLINE;
    } else {
      state = State.CLOSED;
      router.removeAll(this);
    }
    for (Outgoing o : unfinished) {
      if (o.sharedGroup != null && o.qos > 0 && !o.released
          && router.redispatchShared(o.sharedGroup, o.message, this)) {
        forget(o);
      }
    }
  }

  /** Takes this session out of the router and waits until its store writes are done. */
  Future<Void> retire() {
    if (state != State.CLOSED) {
      if (channel != null) {
        detach();
      } else {
        attachBuffer.clear();
        budget.clear();
      }
      state = State.CLOSED;
      router.removeAll(this);
    }
    cancelTimers();
    return whenStoreIdle();
  }

  void closeChannel(ClientChannel.EndCause cause) {
    if (channel != null) {
      channel.close(cause);
    }
  }

  boolean hasChannel(ClientChannel c) {
    return channel == c;
  }

  void willTimer(long id) {
    this.willTimer = id;
  }

  void expiryTimer(long id) {
    this.expiryTimer = id;
  }

  /** Cancels a pending will; returns the will if one was waiting for its delay. */
  PublishedMessage cancelWill() {
    if (willTimer >= 0) {
      vertx.cancelTimer(willTimer);
      willTimer = -1;
      return will;
    }
    return null;
  }

  void cancelTimers() {
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
  }

  Future<Void> whenStoreIdle() {
    if (storeOps == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    storeIdleWaiters.add(p);
    return p.future();
  }

  private <T> Future<T> track(Future<T> op) {
    storeOps++;
    op.onComplete(ar -> {
      storeOps--;
      if (storeOps == 0 && !storeIdleWaiters.isEmpty()) {
        List<Promise<Void>> waiters = storeIdleWaiters;
        storeIdleWaiters = new ArrayList<>();
        waiters.forEach(Promise::tryComplete);
      }
    });
    return op;
  }

  /**
   * Runs {@code task} on this session's context, always queued behind what is already waiting there, even
   * when called from that context: a message another client had acknowledged must not be overtaken by a
   * later one that happens to be published on the subscriber's own event loop.
   */
  public void onContext(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  private static void complete(Promise<Void> p) {
    if (p != null) {
      p.tryComplete();
    }
  }
}
