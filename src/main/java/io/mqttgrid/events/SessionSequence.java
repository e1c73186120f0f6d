package io.mqttgrid.events;

import java.util.concurrent.CompletionStage;

/**
 * The {@code sequenceNumber} of a session's connections (spec section 7): 1 for the first
 * connection of a client id, then one more for each new one, cluster-wide, whichever node accepts
 * it. The broker's is {@link HazelcastSessionSequence}.
 */
public interface SessionSequence {

  /** The next number of {@code clientId}; asynchronous, never blocks the caller. */
  CompletionStage<Long> next(String clientId);
}
