package io.mqttgrid.session;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids for the connections a node binds to sessions, in UUID text form: the high 64 bits are random,
 * drawn once per instance (each start of each node draws new ones), the low 62 bits (the UUID
 * variant's two aside) a random start plus a counter. A connection id is compared, never parsed:
 * the store's conditional changes ("only if this connection still owns the session") need it unique
 * across the cluster and across restarts, and it is. Within an instance the counter does not repeat
 * for 2^62 connects; two instances share an id only if their random high bits collide, as rarely as
 * two random UUIDs do. Why not {@code UUID.randomUUID()}: it draws from one shared SecureRandom
 * under a lock, and on the connect path that was ~2 % of a node's CPU in a connect storm
 * (docs/performance.md). Thread-safe.
 */
final class ConnectionIds {

  private static final long VARIANT_MASK = 0x3fffffffffffffffL;
  private static final long VARIANT = 0x8000000000000000L;

  private final long high;
  private final AtomicLong low;

  ConnectionIds() {
    UUID seed = UUID.randomUUID(); // version 4 bits in the high half; the low half, random bits
    this.high = seed.getMostSignificantBits();
    this.low = new AtomicLong(seed.getLeastSignificantBits());
  }

  String next() {
    return new UUID(high, (low.getAndIncrement() & VARIANT_MASK) | VARIANT).toString();
  }
}
