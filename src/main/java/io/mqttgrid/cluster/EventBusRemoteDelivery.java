package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.routing.RemoteDelivery;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends publishes to other nodes over the clustered event bus, to each node's one address (lesson
 * 3: one clustered address per node, not per client). QoS 0 is fire-and-forget; QoS 1/2 waits for
 * the other node to answer that its subscribers hold the message, so the publisher's
 * acknowledgement means the same on every node.
 *
 * <p>The publishes an event loop routes to one node during one turn of that loop go as one batch:
 * one event-bus message, delivered there in order, answered with one reply that carries each
 * publish's outcome. A request per publish cost the sending loop a reply handler, a timer and a
 * write each, and kept cross-node QoS 1 at about a third of same-node (docs/performance.md). The
 * batch is sent at the end of the turn, not after a delay: a lone publish waits for nothing, and
 * under load one turn already gathers what the loop read from all its connections.
 */
public final class EventBusRemoteDelivery implements RemoteDelivery {

  /**
   * At most this many publishes in one batch: enough that the event bus's per-message cost is
   * spread thin, few enough that the receiving node's loop is not held long by one batch and the
   * first publishes' answers do not wait for many more.
   */
  static final int MAX_BATCH_MESSAGES = 256;

  /**
   * A batch reaching this size is sent at once; one larger publish goes alone, as before batching.
   * The clustered event bus has no frame limit of its own (a 4-byte length, read whole into memory
   * on the receiving side), so this bound is what keeps one frame from holding up the connection
   * between two nodes and from growing with the publishers' payloads.
   */
  static final int MAX_BATCH_BYTES = 256 * 1024;

  private final Vertx vertx;
  private final DeliveryOptions options;

  /** Batches sent whose answer has not come yet, per node, so that a departure fails them. */
  private final Map<String, Set<Batch>> waiting = new ConcurrentHashMap<>();

  /**
   * Nodes that left and have not come back: their routes are about to be purged, nothing waits for
   * them.
   */
  private final Set<String> departed = ConcurrentHashMap.newKeySet();

  /**
   * The batches being filled on this event loop, per node; one flush at the end of the turn sends
   * them all. Per loop, so that filling one needs no lock and one publisher's messages (always
   * routed on its connection's loop) stay in order.
   */
  private final ThreadLocal<Map<String, Batch>> filling =
      ThreadLocal.withInitial(() -> new HashMap<>(4));

  /** Publishes for one node, in the order they were routed, and who waits for each. */
  private static final class Batch {
    final String node;
    final Buffer body = NodeMessages.newBatch();

    /** One per publish; null for QoS 0, which waits for nothing. */
    final List<Promise<Integer>> answers = new ArrayList<>();

    boolean waitedFor;

    Batch(String node) {
      this.node = node;
    }

    void add(PublishedMessage message, boolean plain, List<String> groups, Promise<Integer> p) {
      NodeMessages.append(body, message, plain, groups);
      answers.add(p);
      waitedFor |= p != null;
    }

    boolean full() {
      return answers.size() >= MAX_BATCH_MESSAGES || body.length() >= MAX_BATCH_BYTES;
    }

    void answer(Buffer reply) {
      List<Future<Integer>> outcomes;
      try {
        outcomes = NodeMessages.decodeOutcomes(reply);
      } catch (RuntimeException e) {
        fail(new VertxException("node " + node + " answered a batch unreadably: " + e, true));
        return;
      }
      if (outcomes.size() != answers.size()) {
        fail(
            new VertxException(
                "node "
                    + node
                    + " answered "
                    + outcomes.size()
                    + " of a batch of "
                    + answers.size(),
                true));
        return;
      }
      for (int i = 0; i < outcomes.size(); i++) {
        Promise<Integer> p = answers.get(i);
        Future<Integer> outcome = outcomes.get(i);
        if (p == null) {
          continue;
        }
        if (outcome.succeeded()) {
          p.tryComplete(outcome.result());
        } else {
          p.tryFail(outcome.cause());
        }
      }
    }

    void fail(Throwable cause) {
      for (Promise<Integer> p : answers) {
        if (p != null) {
          p.tryFail(cause);
        }
      }
    }
  }

  public EventBusRemoteDelivery(Vertx vertx, long timeoutMillis) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMillis);
  }

  /**
   * The address where {@code node} takes batches of publishes ("batches": a node of a version that
   * took one publish per message has no consumer here, so it refuses instead of misreading them).
   */
  public static String address(String node) {
    return "mqttgrid.node." + node + ".publish-batches";
  }

  @Override
  public Future<Integer> deliver(
      String node, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    if (departed.contains(node)) {
      return message.qos() == 0 ? Future.succeededFuture(-1) : Future.failedFuture(left(node));
    }
    Promise<Integer> answer = message.qos() == 0 ? null : Promise.promise();
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext() || !Context.isOnEventLoopThread()) {
      // no turn to wait for the end of (a worker, a thread of Hazelcast's): it goes alone
      Batch alone = new Batch(node);
      alone.add(message, plain, sharedGroups, answer);
      send(alone);
    } else {
      Map<String, Batch> mine = filling.get();
      if (mine.isEmpty()) {
        context.runOnContext(v -> flush(mine));
      }
      Batch batch = mine.computeIfAbsent(node, Batch::new);
      batch.add(message, plain, sharedGroups, answer);
      if (batch.full()) {
        mine.remove(node);
        send(batch);
      }
    }
    return answer == null ? Future.succeededFuture(-1) : answer.future();
  }

  private void flush(Map<String, Batch> batches) {
    if (batches.isEmpty()) {
      return;
    }
    List<Batch> due = new ArrayList<>(batches.values());
    batches.clear();
    due.forEach(this::send);
  }

  private void send(Batch batch) {
    String node = batch.node;
    if (departed.contains(node)) {
      batch.fail(left(node));
      return;
    }
    Buffer body = NodeMessages.seal(batch.body, batch.answers.size());
    if (!batch.waitedFor) {
      vertx.eventBus().send(address(node), body, options);
      return;
    }
    Set<Batch> forNode = waiting.computeIfAbsent(node, k -> ConcurrentHashMap.newKeySet());
    forNode.add(batch);
    vertx
        .eventBus()
        .<Buffer>request(address(node), body, options)
        .onComplete(
            ar -> {
              forNode.remove(batch);
              if (ar.succeeded()) {
                batch.answer(ar.result().body());
              } else if (ar.cause() instanceof ReplyException r
                  && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
                  && r.failureCode() == QueueFullException.REPLY_FAILURE_CODE) {
                batch.fail(new QueueFullException(r.getMessage()));
              } else {
                batch.fail(ar.cause());
              }
            });
  }

  private static VertxException left(String node) {
    return new VertxException("node " + node + " left the cluster", true);
  }

  /** {@code node} is a member (again). */
  public void nodeJoined(String node) {
    departed.remove(node);
  }

  /**
   * {@code node} left the cluster: what still waits for its answer fails now instead of at the
   * timeout, so that its publishers hear at once (PUBACK 0x80) and are not held up behind it.
   */
  public void nodeLeft(String node) {
    departed.add(node);
    Set<Batch> forNode = waiting.remove(node);
    if (forNode != null) {
      for (Batch batch : forNode) {
        batch.fail(left(node));
      }
    }
  }
}
