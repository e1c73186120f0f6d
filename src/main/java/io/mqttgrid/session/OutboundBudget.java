package io.mqttgrid.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one session holds in memory for its connection, against the {@code session.*} bounds, in
 * three stages a message passes through on its way out:
 *
 * <ul>
 *   <li>waiting: QoS 1/2 messages waiting for room in the in-flight window or the socket,
 *       unacknowledged messages of an earlier connection waiting to be resent, and anything that
 *       arrives while the session attaches ({@code session.max-pending-messages}, {@code
 *       max-pending-bytes});
 *   <li>in flight: QoS 1/2 messages sent and not yet acknowledged ({@code
 *       limits.max-inflight-outbound}, the client's Receive Maximum, {@code
 *       session.max-inflight-bytes});
 *   <li>socket: PUBLISH packets of any QoS written to the connection and not yet taken by the
 *       operating system ({@code session.max-outbound-buffered}, {@code
 *       max-outbound-buffered-bytes}).
 * </ul>
 *
 * A message is weighed by {@link io.mqttgrid.routing.PublishedMessage#weight()} in every stage. The
 * bounds add up: one connection holds at most the sum of the three byte bounds (the in-flight
 * window and the socket may each go one message over theirs when empty, so that a message larger
 * than the bound still goes out).
 *
 * <p>Hand-written because the socket part has no library counterpart: vertx-mqtt's endpoint does
 * not expose its socket's write queue, so the session counts what it wrote and what the socket
 * reported written. Touched only on the session's context, except where publishers' threads ask
 * whether to hold their acknowledgements ({@link #arriving()}, {@link #behind(int)}); the node-wide
 * {@link Totals} add up every session's stages for the gauges.
 */
final class OutboundBudget {

  /**
   * The sums over the sessions of one node, per stage, for the {@code
   * mqttgrid.outbound.buffered.bytes} gauge.
   */
  static final class Totals {
    final LongAdder waiting = new LongAdder();
    final LongAdder inflight = new LongAdder();
    final LongAdder socket = new LongAdder();
  }

  /**
   * The PUBLISH packets written to one connection and not yet reported written: one per connection,
   * so that writes of an earlier connection, which complete (or fail) when that socket closes, do
   * not count against the next one.
   */
  final class Socket {
    private int messages;
    private long bytes;

    /** Whether a PUBLISH of {@code weight} may be written now. */
    boolean hasRoom(long weight) {
      return messages == 0
          || (messages < limits.maxOutboundBuffered()
              && bytes + weight <= limits.maxOutboundBufferedBytes());
    }

    void written(long weight) {
      messages++;
      bytes += weight;
      totals.socket.add(weight);
    }

    /** The socket reported the PUBLISH written (or failed, when the connection closed). */
    void flushed(long weight) {
      messages--;
      bytes -= weight;
      totals.socket.add(-weight);
    }

    long bytes() {
      return bytes;
    }

    int messages() {
      return messages;
    }
  }

  private final SessionLimits limits;
  private final Totals totals;

  /**
   * Written on the session's context only, but read opaquely from publishers' threads by {@link
   * #behind(int)}: an opaque write is a plain store on x86, no fence on the delivery path.
   */
  private int waitingMessages;

  /**
   * Clean-session QoS 1/2 deliveries handed to the session and not yet taken in ({@link
   * #arriving()}, {@link #takenIn()}): from any thread. A field with a VarHandle, as in {@link
   * SessionInbox}: no object of its own per connection.
   */
  @SuppressWarnings("unused") // through ARRIVING
  private volatile int arriving;

  private static final VarHandle WAITING_MESSAGES;
  private static final VarHandle ARRIVING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WAITING_MESSAGES = lookup.findVarHandle(OutboundBudget.class, "waitingMessages", int.class);
      ARRIVING = lookup.findVarHandle(OutboundBudget.class, "arriving", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private long waitingBytes;
  private long inflightBytes;

  /**
   * Whether the waiting stage has reached {@code session.hold-acks-above-pending} (messages, or the
   * same share of {@code max-pending-bytes}) and not yet drained to half of it: publishers' threads
   * read it to hold their acknowledgements back (see {@link Session}). Written only when it
   * changes.
   */
  private volatile boolean behind;

  OutboundBudget(SessionLimits limits, Totals totals) {
    this.limits = limits;
    this.totals = totals;
  }

  Socket newSocket() {
    return new Socket();
  }

  /** Whether one more message of {@code weight} may wait, within {@code session.max-pending-*}. */
  boolean canWait(long weight) {
    return waitingMessages < limits.maxPending()
        && waitingBytes + weight <= limits.maxPendingBytes();
  }

  void waiting(long weight) {
    WAITING_MESSAGES.setOpaque(this, waitingMessages + 1);
    waitingBytes += weight;
    totals.waiting.add(weight);
    if (!behind && overHighWater(1)) {
      behind = true;
    }
  }

  void doneWaiting(long weight) {
    WAITING_MESSAGES.setOpaque(this, waitingMessages - 1);
    waitingBytes -= weight;
    totals.waiting.add(-weight);
    if (behind && !overHighWater(2)) {
      behind = false;
    }
  }

  /**
   * Whether a delivery arriving now, with {@code arriving} others handed to the session and not yet
   * taken in, finds the session behind: it is, or those and the waiting ones reach the high-water
   * mark. From any thread. Without the ones arriving, publishers on other event loops were answered
   * at once, by thousands on a loaded machine, while the session's context was not running; taken
   * in later, those filled {@code session.max-pending-messages} beyond the mark, and the held ones
   * behind them were refused (FanInNoLossIT: 420 refused in one CI run).
   */
  boolean behind(int arriving) {
    if (behind) {
      return true;
    }
    int mark = limits.holdAcksAbovePending();
    return mark > 0 && (int) WAITING_MESSAGES.getOpaque(this) + arriving >= mark;
  }

  /**
   * Counts a clean-session QoS 1/2 delivery handed to the session, until {@link #takenIn()}, and
   * answers whether its publisher's acknowledgement is held ({@link #behind(int)} with the ones
   * ahead of it). From any thread.
   */
  boolean arriving() {
    return behind((int) ARRIVING.getAndAdd(this, 1));
  }

  /** A delivery counted by {@link #arriving()} was taken in on the session's context. */
  void takenIn() {
    ARRIVING.getAndAdd(this, -1);
  }

  /** Whether the waiting stage holds at least {@code 1/divisor} of the high-water mark. */
  private boolean overHighWater(int divisor) {
    int mark = limits.holdAcksAbovePending();
    if (mark <= 0) {
      return false;
    }
    long markBytes = (long) (limits.maxPendingBytes() * ((double) mark / limits.maxPending()));
    return (long) waitingMessages * divisor >= mark || waitingBytes * divisor >= markBytes;
  }

  /**
   * Whether a message of {@code weight} fits the in-flight window now holding {@code
   * inflightMessages} of at most {@code window}: by count, and by bytes unless the window is empty.
   */
  boolean windowHasRoom(int inflightMessages, int window, long weight) {
    return inflightMessages < window
        && (inflightMessages == 0 || inflightBytes + weight <= limits.maxInflightBytes());
  }

  void inflight(long weight) {
    inflightBytes += weight;
    totals.inflight.add(weight);
  }

  void acknowledged(long weight) {
    inflightBytes -= weight;
    totals.inflight.add(-weight);
  }

  /** The connection ended: nothing waits and nothing is in flight for it any more. */
  void clear() {
    totals.waiting.add(-waitingBytes);
    totals.inflight.add(-inflightBytes);
    WAITING_MESSAGES.setOpaque(this, 0);
    waitingBytes = 0;
    inflightBytes = 0;
    behind = false;
  }

  int waitingMessages() {
    return waitingMessages;
  }

  long waitingBytes() {
    return waitingBytes;
  }

  long inflightBytes() {
    return inflightBytes;
  }
}
