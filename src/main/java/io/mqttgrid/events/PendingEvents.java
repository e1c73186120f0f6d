package io.mqttgrid.events;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Routed events waiting for a retry, kept where the cluster can read them (docs/routing.md): when
 * the node holding them dies, the oldest survivor takes them over and sends them. A batch is kept
 * from its first failed attempt (a batch taken over: from its taking over, under its new node)
 * until it is delivered or dead-lettered; what it holds is the batch as {@link WebhookRouting}
 * writes it (JSON), opaque here.
 */
public interface PendingEvents {

  /** Keeps (or replaces) batch {@code id} of this node; asynchronous, never blocks. */
  void keep(String id, String batch);

  /** Forgets batch {@code id} of this node; asynchronous, never blocks. */
  void forget(String id);

  /**
   * When a node leaves the cluster, the oldest survivor takes its batches off the cluster and gives
   * each to {@code taken}, on {@code blocking}.
   */
  void onNodeLost(Executor blocking, Consumer<String> taken);

  /**
   * At start, after the routing has its settings: on the first node of a cluster, the batches of
   * nodes that are no longer members (kept by a state database across a restart of the whole
   * cluster) are taken off and given to {@code taken}, on {@code blocking}.
   */
  void takeOverOrphans(Executor blocking, Consumer<String> taken);

  /** Nothing kept: a node's pending events die with it. */
  PendingEvents NONE =
      new PendingEvents() {
        @Override
        public void keep(String id, String batch) {}

        @Override
        public void forget(String id) {}

        @Override
        public void onNodeLost(Executor blocking, Consumer<String> taken) {}

        @Override
        public void takeOverOrphans(Executor blocking, Consumer<String> taken) {}
      };
}
