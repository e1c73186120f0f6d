package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The receiving side of QoS 1 and 2 on one connection: the publishes the client sent that are not
 * yet acknowledged, counted against the Receive Maximum the server announced (MQTT 5 section 4.9);
 * the QoS 2 packet identifiers awaiting PUBREL, so a resent PUBLISH is not routed twice
 * (MQTT-4.3.3); and acknowledgements that wait for routing, sent in the order the publishes arrived
 * even when routing completes out of order (MQTT-4.6.0-2, -4.6.0-3). No I/O: the connection sends
 * what {@link #flush} hands it.
 */
final class InboundQosFlow {

  /** Sends one acknowledgement; called by {@link #flush} in arrival order. */
  interface AckSender {
    void puback(int packetId, ReasonCode reason);

    void pubrec(int packetId, ReasonCode reason);
  }

  /** An inbound QoS 1/2 publish whose acknowledgement waits for routing. */
  static final class Pending {
    final int packetId;
    final int qos;
    final long receivedNanos;
    ReasonCode reason;

    private Pending(int packetId, int qos, long receivedNanos) {
      this.packetId = packetId;
      this.qos = qos;
      this.receivedNanos = receivedNanos;
    }
  }

  private int inflight;
  // the shared empty set until a QoS 2 publish arrives (most connections never send one); it
  // answers
  // every read and removal
  private Set<Integer> awaitingRelease = Collections.emptySet();
  // made with the first QoS 1/2 publish and kept (a subscriber-only device never sends one)
  private ArrayDeque<Pending> pending;

  /** QoS 2 publishes a resumed session received before and not yet released. */
  void restoreAwaitingRelease(Collection<Integer> packetIds) {
    // every connect resumes with this list, nearly always empty: no set for it then
    if (!packetIds.isEmpty()) {
      awaitingReleaseToAdd().addAll(packetIds);
    }
  }

  boolean awaitingRelease(int packetId) {
    return awaitingRelease.contains(packetId);
  }

  /** Whether another QoS 1/2 publish would exceed the Receive Maximum. */
  boolean full(int receiveMaximum) {
    return inflight >= receiveMaximum;
  }

  /**
   * The publishes whose acknowledgement waits for their routing (ours to send, not the client's).
   */
  int awaitingRouting() {
    return pending == null ? 0 : pending.size();
  }

  /** A QoS 1/2 publish accepted for routing; its acknowledgement waits for {@link #complete}. */
  Pending accept(int packetId, int qos, long nowNanos) {
    inflight++;
    Pending p = new Pending(packetId, qos, nowNanos);
    if (pending == null) {
      pending = new ArrayDeque<>(0);
    }
    pending.add(p);
    if (qos == 2) {
      awaitingReleaseToAdd().add(packetId);
    }
    return p;
  }

  private Set<Integer> awaitingReleaseToAdd() {
    if (awaitingRelease == Collections.<Integer>emptySet()) {
      awaitingRelease = new HashSet<>();
    }
    return awaitingRelease;
  }

  /**
   * Routing of {@code p} ended with {@code reason}; a QoS 2 publish that failed is not awaiting
   * release.
   */
  void complete(Pending p, ReasonCode reason) {
    p.reason = reason;
    if (reason.isError() && p.qos == 2) {
      awaitingRelease.remove(p.packetId);
    }
  }

  /**
   * Hands over the acknowledgements that are due: those at the head whose routing completed, in
   * arrival order. A PUBACK, or a PUBREC with an error, ends the exchange; a successful PUBREC
   * keeps it open until PUBREL. When the connection is closed they are dropped instead.
   */
  void flush(boolean closed, AckSender sender) {
    if (pending == null) {
      return;
    }
    while (!pending.isEmpty() && pending.peek().reason != null) {
      Pending a = pending.poll();
      if (closed) {
        continue;
      }
      if (a.qos == 1) {
        inflight--;
        sender.puback(a.packetId, a.reason);
      } else {
        if (a.reason.isError()) {
          inflight--;
        }
        sender.pubrec(a.packetId, a.reason);
      }
    }
  }

  /** A PUBREL: whether the packet identifier was awaiting release; if so the exchange ends. */
  boolean release(int packetId) {
    boolean known = awaitingRelease.remove(packetId);
    if (known) {
      inflight = Math.max(0, inflight - 1);
    }
    return known;
  }
}
