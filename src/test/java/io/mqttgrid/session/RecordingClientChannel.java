package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;

/**
 * The client's side of a session in the session tests: takes every PUBLISH (written at once),
 * records the message ids in order and what left the socket together, and acknowledges nothing
 * unless the test says how ({@link #acknowledging}).
 */
final class RecordingClientChannel implements ClientChannel {

  /** The ids of the PUBLISH packets, in the order they were written. */
  final List<String> received = new CopyOnWriteArrayList<>();

  /** What left the socket together: the packets of each released hold (or unheld write). */
  final List<Integer> flushes = new CopyOnWriteArrayList<>();

  private final int window;
  private volatile IntConsumer acknowledge = packetId -> {};

  /** Holds of the flushes not released yet; on the session's context. */
  int holding;

  private int unflushed;

  /** A client with a Receive Maximum of {@code window}. */
  RecordingClientChannel(int window) {
    this.window = window;
  }

  /**
   * Answers each PUBLISH with {@code acknowledge} (given its packet id), which should act in a
   * later turn of the session's context, as a client's PUBACK read from the socket would.
   */
  RecordingClientChannel acknowledging(IntConsumer acknowledge) {
    this.acknowledge = acknowledge;
    return this;
  }

  @Override
  public int sendWindow() {
    return window;
  }

  @Override
  public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
    return false;
  }

  @Override
  public Future<Void> sendPublish(
      PublishedMessage message,
      int qos,
      boolean retain,
      boolean dup,
      int packetId,
      int[] subscriptionIds) {
    received.add(message.id());
    unflushed++;
    if (holding == 0) {
      flushes.add(unflushed);
      unflushed = 0;
    }
    acknowledge.accept(packetId);
    return Future.succeededFuture();
  }

  @Override
  public void sendPubrel(int packetId) {}

  @Override
  public void holdFlushes() {
    holding++;
  }

  @Override
  public void releaseFlushes() {
    if (--holding == 0 && unflushed > 0) {
      flushes.add(unflushed);
      unflushed = 0;
    }
  }

  @Override
  public void close(EndCause cause) {}
}
