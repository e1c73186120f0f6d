package io.mqttgrid.session;

import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.routing.Subscriber;
import io.mqttgrid.routing.Subscription;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT session on this node (MQTT 5 section 4.1): its subscriptions, its outbound window (the
 * {@link OutboundWindow}: what is sent when, under which packet id) and, for a persistent session,
 * the durable queue behind it, kept in step with the window. Every field is touched only on the
 * session's own context (the event loop of the connection that created it), so there are no locks;
 * other threads hand work over with {@link #onContext}.
 *
 * <p>A persistent session writes every QoS 1/2 message to its queue in the {@link SessionStore}
 * before the publisher is acknowledged, and removes it when the client acknowledges it; what the
 * client has not acknowledged when a node dies is still in the store. Its changes of the queue go
 * to the store in batches ({@link QueueWriter}). A clean session keeps messages in memory only.
 *
 * <p>Somewhat over the ~500 lines other classes keep to: the window's rules live in {@link
 * OutboundWindow}, what a copy holds back while it takes the session over in {@link
 * HeldDeliveries}, its pending store writes in {@link PendingStoreWrites}, the batch's flushes in
 * {@link BatchFlushes}, its will and expiry in {@link WillAndExpiry}, the order of deliveries
 * between it and the copy that takes it over in its superclass {@link SessionSuccession}; what
 * stays here is the store bookkeeping that every window step has (append, mark sent, release,
 * remove, refusals from the store), which reads best next to the step.
 */
public final class Session extends SessionSuccession implements Subscriber {

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  /** Drops of every session of the node, logged once a minute with the bound that caused them. */
  private static final DropLog DROPS = new DropLog(60_000, System::currentTimeMillis);

  /**
   * What this copy holds back while it takes the session over (from {@link #holdStores} or {@link
   * #awaitPredecessor} until all of it has gone its way); null otherwise. On the session's context.
   */
  private HeldDeliveries held;

  public enum State {
    ATTACHING,
    ONLINE,
    OFFLINE,
    CLOSED
  }

  /**
   * Bytes (message weights) held for the connection: waiting for room in the window or the socket,
   * sent and unacknowledged, written to the socket and not yet written out by it.
   */
  public record OutboundBytes(long waiting, long inflight, long socket) {
    public long total() {
      return waiting + inflight + socket;
    }
  }

  private final String clientId;
  private final boolean persistent;
  private final String connectionId;
  private final Context context;
  private final Vertx vertx;
  private final MessageRouter router;
  private final SessionLimits limits;
  private final SessionEvents events;

  private ClientChannel channel;

  /** Room for two before it grows (most devices subscribe once): a table of 2, not 16. */
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>(2);

  /** Every piece of this session's work, handed over from any thread: see {@link #onContext}. */
  private final SessionInbox inbox;

  private final HeldAcks heldAcks;

  /** Holds the channel's flushes while the inbox runs a batch of this session's work. */
  private final BatchFlushes batchFlushes = new BatchFlushes();

  private final OutboundWindow<OutgoingMessage> window;
  private final QueueWriter queue;

  /** What the store holds beyond the window (persistent sessions); null for a clean session. */
  private final StoredBacklog backlog;

  /** Made with the first store operation (persistent sessions only); null before. */
  private PendingStoreWrites storeWrites;

  /** Its expiry and will with their timers; {@link WillAndExpiry#NONE} while it has neither. */
  private WillAndExpiry willAndExpiry = WillAndExpiry.NONE;

  private boolean recordStored;

  Session(
      String clientId,
      boolean persistent,
      String connectionId,
      Context context,
      Vertx vertx,
      SessionStore store,
      MessageRouter router,
      SessionLimits limits,
      OutboundBudget.Totals outboundTotals,
      SessionEvents events) {
    this.clientId = clientId;
    this.persistent = persistent;
    this.connectionId = connectionId;
    this.context = context;
    this.vertx = vertx;
    this.router = router;
    this.limits = limits;
    this.events = events;
    this.heldAcks = new HeldAcks(vertx, limits.holdAcksMillis());
    this.queue = new QueueWriter(store, clientId, connectionId, context);
    this.inbox =
        new SessionInbox(
            task -> context.runOnContext(v -> task.run()), SessionInbox.MAX_BATCH, batchFlushes);
    this.window =
        new OutboundWindow<>(
            limits, outboundTotals, new WindowOutcomes(), System::currentTimeMillis, persistent);
    this.backlog =
        persistent
            ? new StoredBacklog(
                store,
                clientId,
                context,
                vertx,
                (messages, more) ->
                    window.storedRead(messages.stream().map(this::restored).toList(), more))
            : null;
  }

  /** Stores nothing until {@link #storeAfter} says the queue is this session's. */
  void holdStores() {
    heldDeliveries().holdStores();
  }

  private HeldDeliveries heldDeliveries() {
    if (held == null) {
      held = new HeldDeliveries();
    }
    return held;
  }

  /**
   * Stores nothing before {@code claimed} completes: until then the queue belongs to an older
   * connection of this client and refuses this one's appends. Called before the session is routed
   * to. Answers when the deliveries held meanwhile have gone their way, in order: after the claim,
   * and after the predecessor handed over what it still had ({@link #awaitPredecessor}).
   */
  Future<Void> storeAfter(Future<?> claimed) {
    HeldDeliveries h = heldDeliveries();
    claimed.onComplete(
        ar ->
            onContext(
                () -> {
                  h.queueClaimed();
                  releaseHeld();
                }));
    return h.inOrder();
  }

  @Override
  void holdForPredecessor() {
    heldDeliveries().awaitPredecessor();
  }

  @Override
  boolean releaseAfterPredecessor() {
    if (held == null || !held.predecessorSettled()) {
      return false;
    }
    releaseHeld();
    return true;
  }

  /** Lets held deliveries go as far as they may ({@link HeldDeliveries#release}). */
  private void releaseHeld() {
    if (held != null && held.release()) {
      held = null;
    }
  }

  @Override
  Future<Void> acceptHandedOver(OutgoingMessage from) {
    OutgoingMessage o =
        new OutgoingMessage(
            from.message, from.qos, from.retain, from.subscriptionIds, from.sharedGroup);
    if (o.qos == 0 || !persistent) {
      inbox.add(() -> accept(o, null, true));
      return Future.succeededFuture();
    }
    Promise<Void> stored = Promise.promise();
    inbox.add(() -> accept(o, stored, true));
    return stored.future();
  }

  @Override
  public String clientId() {
    return clientId;
  }

  /** What this session holds for its connection now; call on the session's context. */
  public OutboundBytes outboundBytes() {
    return window.bytes();
  }

  public boolean persistent() {
    return persistent;
  }

  public String connectionId() {
    return connectionId;
  }

  public State state() {
    return window.state();
  }

  public Context context() {
    return context;
  }

  @Override
  public boolean isOnline() {
    return window.state() == State.ONLINE;
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
    window.startOffline();
  }

  WillAndExpiry willAndExpiry() {
    return willAndExpiry;
  }

  /** What the CONNECT, or the record of a session adopted here, says of how the session ends. */
  void willAndExpiry(long expirySeconds, PublishedMessage will, long willDelaySeconds) {
    this.willAndExpiry = WillAndExpiry.of(vertx, expirySeconds, will, willDelaySeconds);
  }

  public List<Subscription> subscriptions() {
    return List.copyOf(subscriptions.values());
  }

  public boolean hasSubscription(String filter) {
    return subscriptions.containsKey(filter);
  }

  /** The subscription to {@code filter}, or null. */
  public Subscription subscription(String filter) {
    return subscriptions.get(filter);
  }

  public int subscriptionCount() {
    return subscriptions.size();
  }

  /** Adds or replaces a subscription; returns true if a subscription to that filter existed. */
  public boolean subscribe(Subscription s) {
    // routed first: once the session lists a subscription, publishes match it
    router.subscribe(this, s);
    return subscriptions.put(s.filter(), s) != null;
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
  public Future<Void> deliver(
      PublishedMessage message,
      int qos,
      boolean retain,
      int[] subscriptionIds,
      String sharedGroup) {
    Session next = takeIn();
    if (next != null) {
      // the router read this copy's routes just before it was superseded
      return next.deliver(message, qos, retain, subscriptionIds, sharedGroup);
    }
    OutgoingMessage o = new OutgoingMessage(message, qos, retain, subscriptionIds, sharedGroup);
    if (qos == 0) {
      inbox.add(() -> accept(o, null, false));
      return Future.succeededFuture();
    }
    if (!persistent) {
      // a clean session behind answers once the message is sent (or does not fit): its publishers
      // are slowed down to its pace by their Receive Maximum instead of having their messages
      // dropped at session.max-pending-messages
      Promise<Void> answer = window.arriving() ? Promise.promise() : null;
      inbox.add(
          () -> {
            window.takenIn();
            accept(o, answer, false);
          });
      return answer == null ? Future.succeededFuture() : answer.future();
    }
    // a persistent session answers once the message is stored
    Promise<Void> answer = Promise.promise();
    inbox.add(() -> accept(o, answer, false));
    return answer.future();
  }

  /**
   * Sends retained messages on subscribe: same path as any delivery, in order after earlier ones.
   */
  public void deliverRetained(
      PublishedMessage message, int qos, boolean retain, int[] subscriptionIds) {
    deliver(message, qos, retain, subscriptionIds, null);
  }

  /**
   * Takes a delivery in (counted by {@link #takeIn}, settled here or when its append is done);
   * {@code handedOver}: the predecessor took it in first.
   */
  private void accept(OutgoingMessage o, Promise<Void> stored, boolean handedOver) {
    if (window.state() == State.CLOSED) {
      // handed over behind what this copy appended before: those may be handed over too
      afterEarlierAppends(
          () -> {
            if (!handOver(o, stored) && stored != null) {
              if (persistent) {
                // a delivery that was already on its way when this session retired (taken over,
                // adopted elsewhere): a persistent session's publisher must not hear "stored", it
                // retries and reaches the session where it lives now
                stored.tryFail("session " + clientId + " is no longer served here");
              } else {
                // a clean session's held acknowledgement: it ended, as if it had taken the message
                stored.tryComplete();
              }
            }
            settle();
          });
      return;
    }
    if (held != null) {
      if (held.holds(handedOver)) {
        // in arrival order, whatever the QoS
        held.hold(handedOver, () -> accept(o, stored, handedOver));
        return;
      }
      if (handedOver) {
        if (stored != null) {
          held.handedOver(deliveryKey(o), stored.future());
        }
      } else {
        Future<Void> twin = held.handedOverTwin(deliveryKey(o));
        if (twin != null) {
          // routed to both copies in the moment before the predecessor was superseded: kept once
          if (stored != null) {
            twin.onComplete(stored);
          }
          settle();
          return;
        }
      }
    }
    if (o.message.isExpired(System.currentTimeMillis())) {
      complete(stored);
      settle();
      return;
    }
    if (o.qos == 0) {
      window.offerQos0(o);
      settle();
      return;
    }
    OutboundWindow.Admission admission = window.admit(o);
    if (admission == OutboundWindow.Admission.REFUSED) {
      full(stored);
      settle();
      return;
    }
    if (persistent) {
      boolean sendNow = admission == OutboundWindow.Admission.SEND;
      o.stored =
          new QueuedMessage(
              o.message.withQos(o.qos).withRetain(o.retain),
              o.subscriptionIds,
              o.sharedGroup,
              sendNow ? QueuedMessage.State.SENT : QueuedMessage.State.QUEUED,
              o.packetId);
      boolean offline = admission == OutboundWindow.Admission.OFFLINE;
      // connected: the store counts the messages not sent yet a batch late (QueueWriter marks them
      // sent in its next one), so its bound is meant to be far above session.max-pending-*
      o.append =
          queue.append(
              o.stored,
              offline ? limits.maxQueued() : limits.maxQueuedConnected(),
              offline ? limits.maxQueuedBytes() : limits.maxQueuedConnectedBytes());
      o.appended = track(o.append.outcome());
      if (admission == OutboundWindow.Admission.STORED) {
        backlog.left(o.stored, o.appended);
      }
      o.appended.onComplete(
          ar -> {
            if (ar.failed()) {
              LOG.warn(
                  "session {}: could not store a QoS {} message: {}",
                  clientId,
                  o.qos,
                  ar.cause().toString());
              if (stored != null) {
                stored.tryFail(ar.cause());
              }
              return;
            }
            if (ar.result() == SessionQueue.AppendResult.FOREIGN) {
              if (handOver(o, stored)) {
                window.removeWaiting(o);
                return;
              }
              // this session lives on elsewhere now: the publisher is told it did not get there
              // (and retries,
              // reaching the new owner), and this stale copy goes away
              window.removeWaiting(o);
              if (stored != null) {
                stored.tryFail("session " + clientId + " moved to a newer connection");
              }
              events.moved(this);
              return;
            }
            if (ar.result() == SessionQueue.AppendResult.OVERFLOW) {
              window.removeWaiting(o);
              window.overflow("queue-full");
              full(stored);
              return;
            }
            complete(stored);
          });
      o.appended.onComplete(
          ar -> {
            o.append = null; // its batch is done with: not held by the message
            settle(); // after a hand-over above
          });
    } else {
      if (stored != null && admission == OutboundWindow.Admission.WAIT) {
        o.heldAck = stored;
        heldAcks.hold(stored);
      } else {
        complete(stored);
      }
      settle();
    }
    window.enter(o, admission);
  }

  /** One delivery of a message: the same message may reach a session once more, for a group. */
  private static String deliveryKey(OutgoingMessage o) {
    return o.sharedGroup == null ? o.message.id() : o.message.id() + '\u0000' + o.sharedGroup;
  }

  private void afterEarlierAppends(Runnable task) {
    Future<Void> settled = queue.appendsSettled();
    if (settled == null || settled.isComplete()) {
      task.run();
    } else {
      settled.onComplete(ar -> task.run());
    }
  }

  /** PUBACK, or PUBREC with an error reason, or PUBCOMP: the message is done. */
  public void acknowledged(int packetId) {
    window.acknowledged(packetId);
  }

  /** PUBREC with success: answer PUBREL and remember that it was released. */
  public void received(int packetId) {
    window.received(packetId);
  }

  /** Keeps the durable queue of a persistent session in step with the window. */
  private final class WindowOutcomes implements OutboundWindow.Outcomes<OutgoingMessage> {

    @Override
    public void sent(OutgoingMessage o) {
      complete(o.heldAck);
      if (o.appended != null) {
        o.appended.onSuccess(
            r -> {
              if (r == SessionQueue.AppendResult.APPENDED) {
                track(queue.markSent(o.stored.seq(), o.packetId));
              }
            });
      }
    }

    @Override
    public void released(OutgoingMessage o) {
      if (o.appended != null) {
        o.appended.onSuccess(
            r -> {
              if (r != SessionQueue.AppendResult.OVERFLOW
                  && r != SessionQueue.AppendResult.DONE_BEFORE_WRITTEN) {
                track(queue.markReleased(o.stored.seq()));
              }
            });
      }
    }

    @Override
    public void done(OutgoingMessage o) {
      complete(o.heldAck);
      forget(o);
    }

    @Override
    public void dropped(String reason) {
      events.dropped(clientId, reason);
      DROPS.dropped(clientId, reason, window.state(), persistent, limits);
    }

    @Override
    public void leftToStore(OutgoingMessage o) {
      backlog.left(o.stored, o.appended);
    }

    @Override
    public void storedBeyond(OutgoingMessage firstLeft, List<OutgoingMessage> queued) {
      // else left to the store while attaching: all after what the queue held when it was claimed
      backlog.startAt(
          firstLeft != null
              ? firstLeft.stored.seq()
              : queued.stream().mapToLong(o -> o.stored.seq()).max().orElse(0) + 1);
    }

    @Override
    public void readStored(int maxMessages, long maxBytes) {
      backlog.read(maxMessages, maxBytes);
    }

    @Override
    public void overflowed(String reason) {
      LOG.warn(
          "session {}: {} (session.overflow: terminate-session), session terminated (SessionOverflow)",
          clientId,
          reason);
      events.overflowed(Session.this);
    }
  }

  private void forget(OutgoingMessage o) {
    if (o.append != null && queue.withdraw(o.append)) {
      return; // never written
    }
    if (o.appended != null) {
      o.appended.onSuccess(
          r -> {
            if (r == SessionQueue.AppendResult.APPENDED) {
              track(queue.remove(o.stored.seq()));
            }
          });
    }
  }

  // ---- life cycle, driven by SessionManager on this context ----

  /**
   * Starts serving a connection: resends what the store holds, then what arrived while attaching.
   */
  void attach(ClientChannel newChannel, List<QueuedMessage> queued) {
    this.channel = newChannel;
    batchFlushes.attached(newChannel);
    window.attach(new ChannelConnection(newChannel), queued.stream().map(this::restored).toList());
  }

  /** A message as the store keeps it, on its way to the client again. */
  private OutgoingMessage restored(QueuedMessage q) {
    OutgoingMessage o =
        new OutgoingMessage(
            q.message(),
            q.message().qos(),
            q.message().retain(),
            q.subscriptionIds(),
            q.sharedGroup());
    o.stored = q;
    // a session resumed with expiry 0 holds what the store gave it in memory only
    o.appended = persistent ? Future.succeededFuture(SessionQueue.AppendResult.APPENDED) : null;
    if (q.state() != QueuedMessage.State.QUEUED) {
      o.unacknowledged(q.packetId(), q.state() == QueuedMessage.State.RELEASED);
    }
    return o;
  }

  /**
   * The connection ended. A clean session ends with it; a persistent one stays, offline, in the
   * router so that its queue keeps filling. Messages a departed shared-subscription member had not
   * acknowledged go to another member.
   */
  void detach() {
    if (window.state() == State.CLOSED) {
      return;
    }
    List<OutgoingMessage> unfinished = window.detach(persistent);
    if (backlog != null) {
      backlog.reset();
    }
    heldAcks.answerAll();
    channel = null;
    batchFlushes.detached();
    if (!persistent) {
      router.removeAll(this);
    }
    for (OutgoingMessage o : unfinished) {
      if (o.sharedGroup != null
          && o.qos > 0
          && !o.released
          && router.redispatchShared(o.sharedGroup, o.message, this)) {
        forget(o);
      }
    }
  }

  /** Takes this session out of the router and waits until its store writes are done. */
  Future<Void> retire() {
    if (window.state() != State.CLOSED) {
      if (channel != null) {
        detach();
      }
      window.close();
      heldAcks.answerAll();
      if (backlog != null) {
        backlog.reset();
      }
      router.removeAll(this);
    }
    willAndExpiry.cancelExpiry();
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

  Future<Void> whenStoreIdle() {
    return storeWrites == null ? Future.succeededFuture() : storeWrites.whenIdle();
  }

  private <T> Future<T> track(Future<T> op) {
    if (storeWrites == null) {
      storeWrites = new PendingStoreWrites();
    }
    return storeWrites.track(op);
  }

  /**
   * Runs {@code task} on this session's context, always queued behind what is already waiting
   * there, even when called from that context: a message another client had acknowledged must not
   * be overtaken by a later one that happens to be published on the subscriber's own event loop.
   * Deliveries and every other piece of the session's work go through one {@link SessionInbox}, in
   * that order, taken in by batches (one task on the context per batch, not one per message).
   */
  public void onContext(Runnable task) {
    inbox.add(task);
  }

  /** The message did not fit this session's bounds: dropped here, and the publisher may hear it. */
  private void full(Promise<Void> p) {
    if (p != null) {
      p.tryFail(new QueueFullException("the queue of session " + clientId + " is full"));
    }
  }

  private static void complete(Promise<Void> p) {
    if (p != null) {
      p.tryComplete();
    }
  }
}
