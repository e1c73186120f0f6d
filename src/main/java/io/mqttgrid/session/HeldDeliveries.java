package io.mqttgrid.session;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a new copy of a session holds back while it takes the session over: deliveries that reach it
 * before its claim of the session's queue is done (the store would refuse them), and its own
 * deliveries while its predecessor still hands over what that one took in (they would overtake it).
 * Made by the session when a connect starts holding and dropped once everything has gone its way,
 * so that a session that is not taking over holds no empty lists. On the session's context.
 */
final class HeldDeliveries {

  /** Whether the session's connection owns the session's queue in the store. */
  private boolean queueOwned = true;

  /** Whether the predecessor has settled all it took in. */
  private boolean predecessorSettled = true;

  /** Deliveries the predecessor handed over while the queue was not this session's yet. */
  private List<Runnable> handedOver = new ArrayList<>();

  /**
   * Deliveries routed to the session itself while its queue was not its own yet or its predecessor
   * had messages of the same publishers still to hand over, in arrival order.
   */
  private List<Runnable> own = new ArrayList<>();

  /**
   * The messages handed over by the predecessor, by delivery key, with their outcome, while the
   * session's own deliveries are held: a message routed to both copies while both were routed to is
   * kept once. Null when there is no predecessor to wait for.
   */
  private Map<String, Future<Void>> handedOverOutcomes;

  /** Completes when nothing is held any more: the queue is the session's, in its order. */
  private final Promise<Void> inOrder = Promise.promise();

  /** Stores nothing until {@link #queueClaimed}. */
  void holdStores() {
    queueOwned = false;
  }

  /** The predecessor hands over what it took in: the session's own deliveries wait for it. */
  void awaitPredecessor() {
    predecessorSettled = false;
    handedOverOutcomes = new HashMap<>();
  }

  Future<Void> inOrder() {
    return inOrder.future();
  }

  void queueClaimed() {
    queueOwned = true;
  }

  /** Marks the predecessor settled; false when it was already (or never awaited). */
  boolean predecessorSettled() {
    if (predecessorSettled) {
      return false;
    }
    predecessorSettled = true;
    return true;
  }

  /** Whether a delivery, handed over by the predecessor or not, has to wait now. */
  boolean holds(boolean handedOverByPredecessor) {
    return !queueOwned || (!handedOverByPredecessor && !predecessorSettled);
  }

  /** Keeps a delivery that {@link #holds} until {@link #release}, in arrival order. */
  void hold(boolean handedOverByPredecessor, Runnable delivery) {
    (handedOverByPredecessor ? handedOver : own).add(delivery);
  }

  /** A message the predecessor handed over, with the outcome its publisher waits for. */
  void handedOver(String deliveryKey, Future<Void> outcome) {
    if (handedOverOutcomes != null) {
      handedOverOutcomes.put(deliveryKey, outcome);
    }
  }

  /**
   * The outcome of the same delivery handed over by the predecessor (routed to both copies in the
   * moment before the predecessor was superseded), or null.
   */
  Future<Void> handedOverTwin(String deliveryKey) {
    return handedOverOutcomes == null ? null : handedOverOutcomes.get(deliveryKey);
  }

  /**
   * Lets held deliveries go as far as they may: the handed-over ones once the queue is the
   * session's, its own ones once the predecessor has handed over all it had, too. True when nothing
   * is held any more (the session drops this then).
   */
  boolean release() {
    if (!queueOwned) {
      return false;
    }
    List<Runnable> handed = handedOver;
    handedOver = new ArrayList<>();
    handed.forEach(Runnable::run);
    if (!predecessorSettled) {
      return false;
    }
    List<Runnable> ownHeld = own;
    own = new ArrayList<>();
    ownHeld.forEach(Runnable::run);
    handedOverOutcomes = null;
    inOrder.tryComplete();
    return true;
  }
}
