package io.mqttgrid.events;

import static io.mqttgrid.events.RoutingErrors.DEAD_LETTER_FAILED;

import java.util.List;

/**
 * The events one destination ends without delivering them: handed to the dead-letter destination
 * (the event subscription's own or the namespace's, {@link RoutingDestination.DeadLetters}), or,
 * when the destination is a dead-letter destination itself, dropped; counted either way, never
 * silently, and their places in the buffer freed.
 */
final class DeadLettering {

  private final RoutingDestination destination;
  private final RoutingDestination.Shared shared;
  private final DestinationBuffer buffer;

  DeadLettering(
      RoutingDestination destination, RoutingDestination.Shared shared, DestinationBuffer buffer) {
    this.destination = destination;
    this.shared = shared;
    this.buffer = buffer;
  }

  /**
   * {@code batch}, attempted {@code attempts} times, is given up for {@code reason} ({@code why}
   * says what the last attempt came to): dead-lettered, or dropped, counted; out of the buffer.
   */
  void giveUp(List<RoutedEvent> batch, String reason, int attempts, String why) {
    if (destination.deadLetterSink()) {
      shared.meters().dropped(DEAD_LETTER_FAILED, batch.size());
    } else {
      shared.deadLetters().deadLetter(batch, reason, attempts, destination, why);
    }
    buffer.release(batch.size());
  }

  /**
   * A full buffer refused {@code events}: counted ({@code BufferFull}) and dead-lettered; a
   * dead-letter destination's own are not counted again (the caller counts them dropped).
   */
  void bufferFull(List<RoutedEvent> events) {
    if (!destination.deadLetterSink()) {
      destination.failedHere(RoutingErrors.BUFFER_FULL, events.size());
      shared
          .deadLetters()
          .deadLetter(events, RoutingErrors.BUFFER_FULL, 0, destination, "buffer full");
    }
  }

  /** {@code n} events ended here without a dead letter ({@code error}), counted. */
  void lost(String error, int n) {
    if (destination.deadLetterSink()) {
      shared.meters().dropped(DEAD_LETTER_FAILED, n);
    } else {
      destination.failedHere(error, n);
    }
  }
}
