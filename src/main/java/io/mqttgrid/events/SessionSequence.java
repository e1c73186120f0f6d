package io.mqttgrid.events;

import java.util.concurrent.CompletionStage;

/**
 * The {@code sequenceNumber} of a session's connections (Event Grid's client life-cycle events): 1
 * for the first connection of a client id, then one more for each new one, cluster-wide, whichever
 * node accepts it; and which of them are still open. The broker's is {@code
 * hazelcast.HazelcastSessionSequence}.
 */
public interface SessionSequence {

  /**
   * A connection of {@code clientId} opened on {@code node}: its number. Asynchronous, never blocks
   * the caller.
   */
  CompletionStage<Long> next(String clientId, String node, String authenticationName);

  /** Connection {@code sequenceNumber} of {@code clientId} closed. Asynchronous. */
  void ended(String clientId, long sequenceNumber);
}
