package io.mqttgrid.ids;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unique ids in UUID text form, cheap to draw: the high 64 bits are random, drawn once per instance
 * (each start of each node draws new ones), the low 62 bits (the UUID variant's two aside) a random
 * start plus a counter. Within an instance the counter does not repeat for 2^62 ids; two instances
 * (two nodes, or one node before and after a restart) share an id only if their random high bits
 * collide, as rarely as two random UUIDs do. Used where ids are drawn per message or per connect
 * (routed events, connections): {@code UUID.randomUUID()} draws from one shared SecureRandom under
 * a lock, which was a few per cent of a node's CPU there (docs/performance.md). Thread-safe.
 */
public final class CountingUuids {

  private static final long VARIANT_MASK = 0x3fffffffffffffffL;
  private static final long VARIANT = 0x8000000000000000L;

  private final long high;
  private final AtomicLong low;

  public CountingUuids() {
    UUID seed = UUID.randomUUID(); // version 4 bits in the high half; the low half, random bits
    this.high = seed.getMostSignificantBits();
    this.low = new AtomicLong(seed.getLeastSignificantBits());
  }

  public String next() {
    return text(nextBits());
  }

  /** The next id as its low bits, for {@link #text} later (where the id is written). */
  public long nextBits() {
    return (low.getAndIncrement() & VARIANT_MASK) | VARIANT;
  }

  /** The id whose low bits {@link #nextBits} gave. */
  public String text(long bits) {
    return new UUID(high, bits).toString();
  }
}
