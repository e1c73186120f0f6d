package io.mqttgrid.mqtt;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.SuppressForbidden;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which new MQTT sockets a node takes, shared by every listener and event loop of the node. A
 * socket counts as unauthenticated from accept until its CONNACK accepts it; such sockets cost
 * memory (a CONNECT being buffered) and CPU (authentication) before anyone knows who sent them, so
 * they are capped in total and per source address, and new sockets per source address are
 * rate-limited. All open MQTT sockets are capped too ({@code mqtt.max-connections}), below the
 * process's file-descriptor limit, so that the HTTP and management ports, Hazelcast and the
 * namespace file always have descriptors left. A socket over that cap is told so (CONNACK 0x97 in
 * MQTT 5, 0x03 in 3.1.1) while at most {@link #MAX_ANSWERED_OVER_CAP} such sockets are open, so
 * that devices see a busy server rather than a network fault; past that it is closed at once.
 */
public final class ConnectionAdmission {

  /**
   * Descriptors kept for everything but MQTT clients when the cap is derived from the process
   * limit.
   */
  public static final int DESCRIPTOR_RESERVE = 1024;

  /**
   * Sockets over {@code mqtt.max-connections} kept open at once to read their CONNECT and answer
   * it: a few of the reserve's descriptors, each for at most the connect timeout.
   */
  static final int MAX_ANSWERED_OVER_CAP = 64;

  /** Why a socket was turned away. */
  enum Refusal {
    TOO_MANY_CONNECTIONS,
    TOO_MANY_UNAUTHENTICATED,
    TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS,
    RATE
  }

  /**
   * @param maxConnections open MQTT sockets; 0 = the descriptor limit less the reserve
   * @param maxUnauthenticated sockets not yet accepted by a CONNACK; 0 = no cap
   * @param maxUnauthenticatedPerAddress the same per source address; 0 = no cap
   * @param connectRatePerAddress new sockets per second per source address (the burst is the same
   *     number); 0 = no limit
   */
  public record Limits(
      int maxConnections,
      int maxUnauthenticated,
      int maxUnauthenticatedPerAddress,
      int connectRatePerAddress) {}

  private static final class Source {
    int unauthenticated;
    double tokens;
    long refilledNanos;
  }

  private final int maxConnections;
  private final Limits limits;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  private final AtomicInteger answeringOverCap = new AtomicInteger();
  private final ConcurrentHashMap<String, Source> sources = new ConcurrentHashMap<>();
  private final ClientMistakeLog mistakes = new ClientMistakeLog(InboundGuard.logger());
  private final ConnectionRefusals refusals;

  /**
   * @param descriptorsOfOtherListeners what the node's other listeners may hold (the HTTP, HTTPS
   *     and management connection caps): kept free when the MQTT cap is derived
   * @param registry where refused sockets are counted
   */
  public ConnectionAdmission(
      Limits limits, int descriptorsOfOtherListeners, MeterRegistry registry) {
    this.limits = limits;
    this.refusals = new ConnectionRefusals(registry, System::currentTimeMillis);
    this.maxConnections =
        limits.maxConnections() > 0
            ? limits.maxConnections()
            : derivedMaxConnections(descriptorLimit(), descriptorsOfOtherListeners);
  }

  /** The rate-limited log of what clients did wrong, shared by the node's listeners. */
  ClientMistakeLog mistakes() {
    return mistakes;
  }

  public int maxConnections() {
    return maxConnections;
  }

  int open() {
    return open.get();
  }

  int unauthenticated() {
    return unauthenticated.get();
  }

  /**
   * Takes a new socket from {@code address}, or says why not; a taken socket must be {@link
   * #closed}.
   */
  Refusal admit(String address) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      return Refusal.TOO_MANY_CONNECTIONS;
    }
    if (limits.maxUnauthenticated() > 0
        && unauthenticated.incrementAndGet() > limits.maxUnauthenticated()) {
      unauthenticated.decrementAndGet();
      open.decrementAndGet();
      return Refusal.TOO_MANY_UNAUTHENTICATED;
    } else if (limits.maxUnauthenticated() <= 0) {
      unauthenticated.incrementAndGet();
    }
    Refusal[] refusal = new Refusal[1];
    long now = System.nanoTime();
    sources.compute(
        address,
        (a, s) -> {
          if (s == null) {
            s = new Source();
            s.tokens = limits.connectRatePerAddress();
            s.refilledNanos = now;
          }
          if (limits.connectRatePerAddress() > 0) {
            int rate = limits.connectRatePerAddress();
            s.tokens = Math.min(rate, s.tokens + (now - s.refilledNanos) * rate / 1e9);
            s.refilledNanos = now;
            if (s.tokens < 1) {
              refusal[0] = Refusal.RATE;
              return s;
            }
          }
          if (limits.maxUnauthenticatedPerAddress() > 0
              && s.unauthenticated >= limits.maxUnauthenticatedPerAddress()) {
            refusal[0] = Refusal.TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS;
            return s;
          }
          s.tokens -= 1;
          s.unauthenticated++;
          return s;
        });
    if (refusal[0] != null) {
      unauthenticated.decrementAndGet();
      open.decrementAndGet();
    }
    return refusal[0];
  }

  /** Counts and logs (once per interval) a socket that {@link #admit} turned away. */
  void refused(Refusal refusal, String address) {
    refusals.refused(refusal, address, limits, maxConnections, open.get(), unauthenticated.get());
  }

  /**
   * Whether a socket over {@code mqtt.max-connections} may stay open to be answered a refusing
   * CONNACK; if so, {@link #answeredOverCap} must be called when it closes.
   */
  boolean answerOverCap() {
    if (answeringOverCap.incrementAndGet() > MAX_ANSWERED_OVER_CAP) {
      answeringOverCap.decrementAndGet();
      return false;
    }
    return true;
  }

  /** A socket of {@link #answerOverCap} closed. */
  void answeredOverCap() {
    answeringOverCap.decrementAndGet();
  }

  /** The socket's CONNECT was accepted: it no longer counts as unauthenticated. */
  void authenticated(String address) {
    unauthenticated.decrementAndGet();
    release(address);
  }

  /**
   * The socket closed; {@code wasAuthenticated} says whether {@link #authenticated} was called for
   * it.
   */
  void closed(String address, boolean wasAuthenticated) {
    open.decrementAndGet();
    if (!wasAuthenticated) {
      unauthenticated.decrementAndGet();
      release(address);
    }
  }

  private void release(String address) {
    long now = System.nanoTime();
    sources.computeIfPresent(
        address,
        (a, s) -> {
          s.unauthenticated--;
          int rate = limits.connectRatePerAddress();
          boolean bucketFull = rate <= 0 || s.tokens + (now - s.refilledNanos) * rate / 1e9 >= rate;
          // forget an idle source: nothing of it is counted that a fresh entry would not count the
          // same way
          return s.unauthenticated <= 0 && bucketFull ? null : s;
        });
  }

  /** Sources with state kept (for tests: an address that went idle is forgotten). */
  int trackedAddresses() {
    return sources.size();
  }

  /**
   * The MQTT cap when none is configured: the descriptor limit less what the other listeners may
   * hold and {@link #DESCRIPTOR_RESERVE}; at least a quarter of the limit, should those already
   * claim more.
   */
  static int derivedMaxConnections(long descriptorLimit, int descriptorsOfOtherListeners) {
    if (descriptorLimit <= 0) {
      return Integer.MAX_VALUE;
    }
    long left = descriptorLimit - DESCRIPTOR_RESERVE - descriptorsOfOtherListeners;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(Math.max(1, descriptorLimit / 4), left));
  }

  /** The process's open-file limit, or 0 where the JVM cannot tell. */
  @SuppressForbidden(
      reason =
          "the JDK's only way to read the open-file limit; used only where the running JVM has it")
  private static long descriptorLimit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return 0;
  }
}
