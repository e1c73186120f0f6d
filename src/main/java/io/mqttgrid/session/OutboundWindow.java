package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The outbound side of one session (MQTT 5 sections 4.3, 4.4, 4.9): which message goes to the
 * client when, under which packet id, and what waits meanwhile. It keeps
 *
 * <ul>
 *   <li>the in-flight window: QoS 1/2 messages sent and not acknowledged, at most the client's
 *       Receive Maximum (MQTT-3.3.4-9) and {@code session.max-inflight-bytes};
 *   <li>the packet ids: unique among the messages in flight or waiting to be resent, from 1 to
 *       65,535 and round again (MQTT-2.2.1-3);
 *   <li>the resend queue: unacknowledged messages of an earlier connection, resent first, in their
 *       order, with their ids and DUP set, a released QoS 2 message as PUBREL (MQTT-4.4.0-1);
 *   <li>the pending queue: QoS 1/2 messages waiting for room, and the attach buffer for what
 *       arrives while the session attaches; both within {@code session.max-pending-*}, and QoS 0
 *       within the socket's bound, by the {@link OutboundBudget};
 *   <li>the overflow policy: a message that does not fit is dropped and counted, and under {@code
 *       session.overflow: terminate-session} the session is ended, once.
 * </ul>
 *
 * <p>For a persistent session the pending queue is only the part of the session's stored queue that
 * is in memory: its messages are stored before the publisher hears, so a QoS 1/2 message that does
 * not fit the pending bounds is not refused here but left to the store ({@link Admission#STORED}),
 * and so is every one after it, until the window has read them back ({@link Outcomes#readStored})
 * in their order. A message read back is one the window has not held before, so none is sent twice;
 * what bounds such a session is its stored queue's own bound ({@code
 * session.max-queued-connected-*}, the store's refusal). Why not hold the publisher's
 * acknowledgement instead, as a clean session does: the message is stored and acknowledged by then
 * (another subscriber's session may have kept it), and the stored copy is what a reconnect resends
 * anyway, so the memory copy is only a cache and dropping it loses nothing.
 *
 * <p>The window also holds the session's life-cycle {@link Session.State}, because what happens to
 * a message depends on it (buffered while attaching, sent or queued online, kept only by the store
 * offline).
 *
 * <p>Hand-written: vertx-mqtt's endpoint sends a PUBLISH and answers the acknowledgement handshake,
 * but it keeps no window, resends nothing on a new connection and knows nothing of a session that
 * outlives it. The class knows neither Vert.x nor the store: it sends through {@link Connection}
 * and tells the session what became of a message through {@link Outcomes} (the session keeps its
 * durable queue in step). Touched only on the session's context, except {@link #state()}.
 *
 * @param <M> the session's message type, carrying what the session needs besides (its store entry)
 */
final class OutboundWindow<M extends OutboundWindow.Message> {

  /** One message on its way to the client. */
  static class Message {
    final PublishedMessage message;
    final int qos;
    final boolean retain;
    final int[] subscriptionIds;
    final String sharedGroup;
    final int weight;
    int packetId;
    boolean released;
    boolean sentBefore;

    Message(
        PublishedMessage message,
        int qos,
        boolean retain,
        int[] subscriptionIds,
        String sharedGroup) {
      this.message = message;
      this.qos = qos;
      this.retain = retain;
      this.subscriptionIds = subscriptionIds;
      this.sharedGroup = sharedGroup;
      this.weight = message.weight();
    }

    /**
     * Marks a message of an earlier connection that the client has not acknowledged: it is resent
     * with {@code id}, as PUBREL when it was {@code released}.
     */
    void unacknowledged(int id, boolean wasReleased) {
      this.packetId = id;
      this.released = wasReleased;
      this.sentBefore = true;
    }
  }

  /** The connection the window sends through. */
  interface Connection<M> {

    /**
     * How many QoS 1/2 messages the client accepts in flight (its Receive Maximum, capped by the
     * server).
     */
    int sendWindow();

    /**
     * Whether the PUBLISH, encoded at {@code qos}, would exceed the Maximum Packet Size the client
     * announced.
     */
    boolean tooLargeForClient(M m, int qos);

    /**
     * Writes a PUBLISH and calls {@code whenWritten} when the socket has written it out (or failed
     * to).
     */
    void publish(M m, int qos, boolean dup, int packetId, Written whenWritten);

    void pubrel(int packetId);
  }

  /** The end of one socket write. */
  interface Written {
    void done(boolean succeeded);
  }

  /** What became of the messages, for the session's store and metrics. */
  interface Outcomes<M> {

    /** A waiting message got its packet id and went out. */
    void sent(M m);

    /** The client answered PUBREC: the message waits for PUBCOMP now. */
    void released(M m);

    /**
     * The message needs no further delivery: acknowledged, expired, or too large for the client.
     */
    void done(M m);

    /** A message was not delivered, for {@code reason}. */
    void dropped(String reason);

    /**
     * A message broke a bound under {@code session.overflow: terminate-session}: the session must
     * end.
     */
    void overflowed(String reason);

    /**
     * A message the window leaves to the store (it arrived while the session attached, behind
     * stored messages the window did not take): it is read back with them.
     */
    void leftToStore(M m);

    /**
     * The window attached with stored messages it did not take: those of {@code queued} from {@code
     * firstLeft} on, or (null) those stored after all of {@code queued}. Told before the window
     * asks for any ({@link #readStored}).
     */
    void storedBeyond(M firstLeft, List<M> queued);

    /**
     * The window has room for stored messages it has not taken: the session reads them, oldest
     * first, at most {@code maxMessages} (and {@code maxBytes}, at least one message), and answers
     * with {@link #storedRead}.
     */
    void readStored(int maxMessages, long maxBytes);
  }

  /** What {@link #admit} decided for a QoS 1/2 message; {@link #enter} carries it out. */
  enum Admission {
    /** Sent at once: it has its packet id. */
    SEND,
    /** Waits for room (online) or for the connection (attaching). */
    WAIT,
    /** The session is offline: only the store keeps it. */
    OFFLINE,
    /**
     * A persistent session's pending queue is full, or stored messages wait before this one: only
     * the store keeps it for now, and the window reads it back when it has room.
     */
    STORED,
    /** It does not fit: dropped and counted. */
    REFUSED
  }

  private static final int MAX_PACKET_ID = 65_535;

  /**
   * The most stored messages read back at once: one read is one operation on the queue's partition
   * and one answer over the network, kept short whatever the pending bounds are.
   */
  static final int MAX_READ_BACK = 1_000;

  private final SessionLimits limits;
  private final Outcomes<M> outcomes;
  private final LongSupplier clock;
  private final OutboundBudget budget;

  /** Whether the session's store keeps every QoS 1/2 message (a persistent session). */
  private final boolean storeKeepsAll;

  /**
   * Whether the store holds QoS 1/2 messages of this connection that the window has not taken yet,
   * all after the ones it holds: new ones go behind them ({@link Admission#STORED}).
   */
  private boolean storeAhead;

  /** Whether a {@link Outcomes#readStored} is unanswered. */
  private boolean readingStored;

  private volatile Session.State state = Session.State.ATTACHING;
  private Connection<M> connection;

  /**
   * The PUBLISH packets written to the current connection's socket and not yet written out by it.
   */
  private OutboundBudget.Socket socket;

  // the two deques start with room for none (a 1-slot array instead of 17): most connections never
  // have a message wait, and a deque grows when one does
  private final ArrayDeque<M> pending = new ArrayDeque<>(0);

  /**
   * Unacknowledged messages of an earlier connection that wait for room in this connection's
   * window.
   */
  private final ArrayDeque<M> resend = new ArrayDeque<>(0);

  // the shared empty set and map until the first id is added: most connections never resend, and
  // an idle one has nothing in flight (the empty ones answer every read and removal)
  private Set<Integer> resendIds = Collections.emptySet();
  private Map<Integer, M> inflight = Collections.emptyMap();
  // the shared empty list until a message arrives while attaching, as with the set and map above
  private List<M> attachBuffer = Collections.emptyList();
  private int lastPacketId;
  private boolean pumping;
  private boolean terminating;

  OutboundWindow(
      SessionLimits limits,
      OutboundBudget.Totals totals,
      Outcomes<M> outcomes,
      LongSupplier clock) {
    this(limits, totals, outcomes, clock, false);
  }

  /**
   * {@code storeKeepsAll}: the session stores every QoS 1/2 message before its publisher hears (a
   * persistent session), so what does not fit the pending bounds is left to the store.
   */
  OutboundWindow(
      SessionLimits limits,
      OutboundBudget.Totals totals,
      Outcomes<M> outcomes,
      LongSupplier clock,
      boolean storeKeepsAll) {
    this.limits = limits;
    this.outcomes = outcomes;
    this.clock = clock;
    this.budget = new OutboundBudget(limits, totals);
    this.storeKeepsAll = storeKeepsAll;
  }

  Session.State state() {
    return state;
  }

  /** What the window holds for its connection now. */
  Session.OutboundBytes bytes() {
    return new Session.OutboundBytes(
        budget.waitingBytes(), budget.inflightBytes(), socket == null ? 0 : socket.bytes());
  }

  /** A QoS 0 message: buffered while attaching, written if the socket has room, else dropped. */
  void offerQos0(M o) {
    if (state == Session.State.ATTACHING) {
      if (budget.canWait(o.weight)) {
        attachBufferToAdd().add(o);
        budget.waiting(o.weight);
      } else {
        overflow("attach-buffer-full");
      }
      return;
    }
    if (state != Session.State.ONLINE) {
      return;
    }
    if (!socket.hasRoom(o.weight)) {
      // QoS 0 has no queue of its own: what the client's socket cannot take now is dropped
      overflow("slow-subscriber");
      return;
    }
    if (connection.tooLargeForClient(o, 0)) {
      outcomes.dropped("packet-too-large-for-client");
      return;
    }
    write(o, 0, false, 0);
  }

  /**
   * Decides what happens to a QoS 1/2 message; a message sent at once gets its packet id here. The
   * caller records the message (its store entry) and then calls {@link #enter} with the answer.
   */
  Admission admit(M o) {
    boolean sendNow =
        state == Session.State.ONLINE
            && !storeAhead
            && resend.isEmpty()
            && pending.isEmpty()
            && canTransmit(o);
    if (sendNow) {
      o.packetId = nextPacketId();
      return Admission.SEND;
    }
    if (state == Session.State.OFFLINE) {
      return Admission.OFFLINE;
    }
    if (state != Session.State.CLOSED
        && storeKeepsAll
        && (storeAhead || !budget.canWait(o.weight))) {
      storeAhead = true;
      return Admission.STORED;
    }
    if (!budget.canWait(o.weight)) {
      overflow("queue-full");
      return Admission.REFUSED;
    }
    return Admission.WAIT;
  }

  /** Sends or queues a message as {@link #admit} decided. */
  void enter(M o, Admission admission) {
    if (admission == Admission.SEND) {
      transmit(o, false);
    } else if (admission == Admission.WAIT) {
      if (state == Session.State.ATTACHING) {
        attachBufferToAdd().add(o);
      } else {
        pending.add(o);
      }
      budget.waiting(o.weight);
    }
  }

  /**
   * The stored messages {@link Outcomes#readStored} asked for, oldest first; {@code storeHasMore}:
   * the store holds more that the window has not taken (or may, when appends are still under way).
   * An answer for an earlier connection is ignored.
   */
  void storedRead(List<M> messages, boolean storeHasMore) {
    if (state != Session.State.ONLINE || !readingStored) {
      return;
    }
    readingStored = false;
    for (M o : messages) {
      pending.add(o);
      budget.waiting(o.weight);
    }
    if (!storeHasMore) {
      storeAhead = false;
    }
    pump();
  }

  /**
   * A waiting message that the store refused (overflow, or the queue moved to a newer connection).
   */
  void removeWaiting(M o) {
    // while attaching, a waiting message is in the attach buffer, not yet in the pending queue
    if (pending.remove(o) || attachBuffer.remove(o)) {
      budget.doneWaiting(o.weight);
    }
  }

  /**
   * A message did not fit a bound of this session: dropped (counted by {@code reason}), or the
   * session ends.
   */
  void overflow(String reason) {
    outcomes.dropped(reason);
    if (limits.terminateOnOverflow() && state != Session.State.CLOSED && !terminating) {
      // ended once: the messages that follow until the session is taken down are only dropped
      terminating = true;
      outcomes.overflowed(reason);
    }
  }

  /** PUBACK, or PUBREC with an error reason, or PUBCOMP: the message is done. */
  void acknowledged(int packetId) {
    M o = inflight.remove(packetId);
    if (o == null) {
      return;
    }
    budget.acknowledged(o.weight);
    outcomes.done(o);
    pump();
  }

  /** PUBREC with success: answer PUBREL and remember that it was released. */
  void received(int packetId) {
    M o = inflight.get(packetId);
    if (o == null) {
      // MQTT-4.3.3: PUBREL even for an unknown id, with reason 0x92 in v5 (the channel decides)
      connection.pubrel(packetId);
      return;
    }
    o.released = true;
    connection.pubrel(packetId);
    outcomes.released(o);
  }

  /**
   * Starts serving a connection: resends the unacknowledged messages of {@code queued} (those
   * marked {@link Message#unacknowledged}), then the rest of {@code queued}, then what arrived
   * while attaching and is not in {@code queued} already. For a persistent session, what does not
   * fit the pending bounds stays in the store, to be read back ({@link Outcomes#storedBeyond}).
   */
  void attach(Connection<M> newConnection, List<M> queued) {
    this.connection = newConnection;
    this.socket = budget.newSocket();
    Set<String> seen = new HashSet<>();
    long now = clock.getAsLong();
    List<M> unacknowledged = new ArrayList<>();
    M firstLeft = null;
    // what arrived while attaching goes after the queue's messages: it takes no room from them
    for (M o : attachBuffer) {
      budget.doneWaiting(o.weight);
    }
    for (M o : queued) {
      seen.add(o.message.id());
      if (!o.sentBefore) {
        if (firstLeft != null) {
          continue; // read back after the first one left, in their order
        }
        if (o.message.isExpired(now)) {
          outcomes.done(o);
        } else if (storeKeepsAll && !budget.canWait(o.weight)) {
          // a stored queue longer than the pending bounds: the rest stays in the store for now
          firstLeft = o;
          storeAhead = true;
        } else {
          pending.add(o);
          budget.waiting(o.weight);
        }
      } else {
        unacknowledged.add(o);
      }
    }
    state = Session.State.ONLINE;
    // a write that completes at once calls pump(): not before every resent message has its place
    // (the ids,
    // the order: resent ones before queued ones)
    pumping = true;
    try {
      // resent with their original ids (MQTT-4.4.0-1), but no more at once than the new
      // connection's
      // Receive Maximum allows (MQTT-3.3.4-9): the window is not carried over from the old
      // connection
      for (M o : unacknowledged) {
        lastPacketId = Math.max(lastPacketId, o.packetId);
        if (resend.isEmpty() && canTransmit(o)) {
          transmit(o, true);
        } else {
          resend.add(o);
          resendIdsToAdd().add(o.packetId);
          budget.waiting(o.weight);
        }
      }
      for (M o : attachBuffer) {
        if (o.qos == 0) {
          offerQos0(o);
        } else if (seen.contains(o.message.id())) {
          continue;
        } else if (storeAhead) {
          // stored after the messages left in the store: read back behind them
          outcomes.leftToStore(o);
        } else {
          pending.add(o);
          budget.waiting(o.weight);
        }
      }
      attachBuffer.clear();
    } finally {
      pumping = false;
    }
    if (storeAhead) {
      outcomes.storedBeyond(firstLeft, queued);
    }
    pump();
  }

  /**
   * The connection ended: the window holds nothing any more. The session stays {@code OFFLINE} when
   * it continues, else it is {@code CLOSED}. Answers what was unfinished: in flight, to resend,
   * pending, buffered.
   */
  List<M> detach(boolean sessionContinues) {
    List<M> unfinished = new ArrayList<>(inflight.values());
    unfinished.addAll(resend);
    unfinished.addAll(pending);
    unfinished.addAll(attachBuffer);
    clear();
    state = sessionContinues ? Session.State.OFFLINE : Session.State.CLOSED;
    return unfinished;
  }

  /** A session taken over from a departed node starts offline. */
  void startOffline() {
    state = Session.State.OFFLINE;
  }

  /**
   * The session ends here: whatever the window held is dropped (the store keeps what is durable).
   * Answers what it held.
   */
  List<M> close() {
    List<M> held = new ArrayList<>(inflight.values());
    held.addAll(resend);
    held.addAll(pending);
    held.addAll(attachBuffer);
    clear();
    state = Session.State.CLOSED;
    return held;
  }

  /**
   * Counts a clean-session QoS 1/2 delivery handed to the session, until {@link #takenIn()}, and
   * answers whether its publisher's acknowledgement is held: the messages waiting here, with the
   * ones handed over ahead of it, reached {@code session.hold-acks-above-pending}, or have not
   * drained to half of it yet. From any thread.
   */
  boolean arriving() {
    return budget.arriving();
  }

  /** A delivery counted by {@link #arriving()} was taken in. */
  void takenIn() {
    budget.takenIn();
  }

  private void clear() {
    inflight.clear();
    resend.clear();
    resendIds.clear();
    pending.clear();
    attachBuffer.clear();
    budget.clear();
    connection = null;
    socket = null;
    storeAhead = false;
    readingStored = false;
  }

  /** Whether a QoS 1/2 message may be sent now: room in the in-flight window and in the socket. */
  private boolean canTransmit(M o) {
    return budget.windowHasRoom(inflight.size(), connection.sendWindow(), o.weight)
        && (o.released || socket.hasRoom(o.weight));
  }

  private Set<Integer> resendIdsToAdd() {
    if (resendIds == Collections.<Integer>emptySet()) {
      resendIds = new HashSet<>();
    }
    return resendIds;
  }

  private List<M> attachBufferToAdd() {
    if (attachBuffer == Collections.<M>emptyList()) {
      attachBuffer = new ArrayList<>();
    }
    return attachBuffer;
  }

  /** In the order sent. */
  private Map<Integer, M> inflightToAdd() {
    if (inflight == Collections.<Integer, M>emptyMap()) {
      inflight = new LinkedHashMap<>();
    }
    return inflight;
  }

  private void transmit(M o, boolean dup) {
    if (connection.tooLargeForClient(o, o.qos)) {
      // MQTT-3.1.2-25: discard as if sent and acknowledged
      outcomes.dropped("packet-too-large-for-client");
      outcomes.done(o);
      return;
    }
    inflightToAdd().put(o.packetId, o);
    budget.inflight(o.weight);
    boolean wasSent = o.sentBefore;
    o.sentBefore = true;
    if (o.released) {
      connection.pubrel(o.packetId);
      return;
    }
    write(o, o.qos, dup || wasSent, o.packetId);
  }

  /**
   * Writes a PUBLISH and counts it against the socket until the socket reports it written: the
   * session writes no more than the socket's bound (vertx-mqtt's endpoint has no write-queue-full
   * signal; the write completes when Netty has handed the bytes to the operating system). Each
   * completion is the moment a QoS 1/2 message held back for socket room may go.
   */
  private void write(M o, int qos, boolean dup, int packetId) {
    OutboundBudget.Socket s = socket;
    s.written(o.weight);
    connection.publish(
        o,
        qos,
        dup,
        packetId,
        succeeded -> {
          s.flushed(o.weight);
          if (succeeded && s == socket) {
            pump();
          }
        });
  }

  private void pump() {
    if (state != Session.State.ONLINE || pumping) {
      return;
    }
    // a write may complete at once and call back in here: the loops below pick up what it made room
    // for
    pumping = true;
    try {
      drain();
    } finally {
      pumping = false;
    }
  }

  private void drain() {
    while (!resend.isEmpty() && canTransmit(resend.peek())) {
      M o = resend.poll();
      budget.doneWaiting(o.weight);
      resendIds.remove(o.packetId);
      transmit(o, true);
    }
    long now = clock.getAsLong();
    while (!pending.isEmpty() && canTransmit(pending.peek())) {
      M o = pending.poll();
      budget.doneWaiting(o.weight);
      if (o.message.isExpired(now)) {
        outcomes.dropped("expired");
        outcomes.done(o);
        continue;
      }
      o.packetId = nextPacketId();
      outcomes.sent(o);
      transmit(o, false);
    }
    readStoredIfRoom();
  }

  /**
   * Asks for stored messages once the pending queue has drained to half its bounds: reads of a
   * useful size rather than one per acknowledgement, while what is pending keeps the client busy.
   */
  private void readStoredIfRoom() {
    if (!storeAhead || readingStored || state != Session.State.ONLINE) {
      return;
    }
    int waiting = budget.waitingMessages();
    long waitingBytes = budget.waitingBytes();
    if ((long) waiting * 2 > limits.maxPending() || waitingBytes * 2 > limits.maxPendingBytes()) {
      return;
    }
    readingStored = true;
    outcomes.readStored(
        Math.max(1, Math.min(MAX_READ_BACK, limits.maxPending() - waiting)),
        limits.maxPendingBytes() - waitingBytes);
  }

  private int nextPacketId() {
    int id = lastPacketId;
    do {
      id = id == MAX_PACKET_ID ? 1 : id + 1;
    } while (inflight.containsKey(id) || resendIds.contains(id));
    lastPacketId = id;
    return id;
  }
}
