package io.mqttgrid.events;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids for the events a node makes, in the UUID text form Event Grid's ids have: the high 64 bits
 * are random, drawn once per instance (each start of each node makes new ones), and the low 62 bits
 * (the UUID variant's two aside) a random start plus a counter. So an id costs an atomic increment,
 * not a SecureRandom draw on the publisher's event loop, and stays unique: within an instance the
 * counter does not repeat for 2^62 events, and two instances (two nodes, or one node before and
 * after a restart) share an id only if their 60 random high bits collide, as rarely as two random
 * UUIDs do. A non-empty string, as CloudEvents asks of {@code id}; unique per {@code source}, which
 * is the namespace's, shared by the cluster. Thread-safe.
 */
final class EventIds {

  private static final long VARIANT_MASK = 0x3fffffffffffffffL;
  private static final long VARIANT = 0x8000000000000000L;

  private final long high;
  private final AtomicLong low;

  EventIds() {
    UUID seed = UUID.randomUUID(); // version 4 bits in the high half; the low half, random bits
    this.high = seed.getMostSignificantBits();
    this.low = new AtomicLong(seed.getLeastSignificantBits());
  }

  String next() {
    return text(nextBits());
  }

  /**
   * The next id as its low bits, for {@link #text} later: the text is made where the event is
   * written, off the publisher's event loop.
   */
  long nextBits() {
    return (low.getAndIncrement() & VARIANT_MASK) | VARIANT;
  }

  /** The id whose low bits {@link #nextBits} gave. */
  String text(long bits) {
    return new UUID(high, bits).toString();
  }
}
