package io.mqttgrid.session;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The durable part of a persistent session (MQTT 5 section 4.1): what a device finds again when it
 * reconnects to any node. The queue of messages lives beside it, under the same key.
 */
public final class SessionRecord {

  public static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

  private String clientId;
  private int protocolVersion;
  private long expirySeconds;
  private List<Subscription> subscriptions = new ArrayList<>();
  private PublishedMessage will;
  private long willDelaySeconds;
  private String ownerNode;
  private String connectionId;
  private boolean connected;
  private long disconnectedAtMillis;
  private Set<Integer> awaitingRelease = new LinkedHashSet<>();

  public SessionRecord(
      String clientId,
      int protocolVersion,
      long expirySeconds,
      String ownerNode,
      String connectionId) {
    this.clientId = clientId;
    this.protocolVersion = protocolVersion;
    this.expirySeconds = expirySeconds;
    this.ownerNode = ownerNode;
    this.connectionId = connectionId;
    this.connected = true;
  }

  public String clientId() {
    return clientId;
  }

  public int protocolVersion() {
    return protocolVersion;
  }

  public long expirySeconds() {
    return expirySeconds;
  }

  public List<Subscription> subscriptions() {
    return subscriptions;
  }

  public PublishedMessage will() {
    return will;
  }

  public long willDelaySeconds() {
    return willDelaySeconds;
  }

  public String ownerNode() {
    return ownerNode;
  }

  public String connectionId() {
    return connectionId;
  }

  public boolean connected() {
    return connected;
  }

  public long disconnectedAtMillis() {
    return disconnectedAtMillis;
  }

  public Set<Integer> awaitingRelease() {
    return awaitingRelease;
  }

  /** Whether an offline session has outlived its Session Expiry Interval at {@code now}. */
  public boolean isExpired(long nowMillis) {
    return !connected
        && expirySeconds != NEVER_EXPIRES
        && nowMillis - disconnectedAtMillis >= expirySeconds * 1000L;
  }

  public SessionRecord subscriptions(List<Subscription> subs) {
    this.subscriptions = new ArrayList<>(subs);
    return this;
  }

  public SessionRecord will(PublishedMessage will, long delaySeconds) {
    this.will = will;
    this.willDelaySeconds = delaySeconds;
    return this;
  }

  public SessionRecord expirySeconds(long seconds) {
    this.expirySeconds = seconds;
    return this;
  }

  public SessionRecord awaitingRelease(Set<Integer> ids) {
    this.awaitingRelease = new LinkedHashSet<>(ids);
    return this;
  }

  public SessionRecord online(String node, String connection, int version) {
    this.ownerNode = node;
    this.connectionId = connection;
    this.protocolVersion = version;
    this.connected = true;
    this.disconnectedAtMillis = 0;
    return this;
  }

  public SessionRecord owner(String node) {
    this.ownerNode = node;
    return this;
  }

  /**
   * A copy, so that a caller's view does not change with the stored object (OBJECT in-memory
   * format).
   */
  public SessionRecord copy() {
    SessionRecord c =
        new SessionRecord(clientId, protocolVersion, expirySeconds, ownerNode, connectionId);
    c.subscriptions = new ArrayList<>(subscriptions);
    c.will = will;
    c.willDelaySeconds = willDelaySeconds;
    c.connected = connected;
    c.disconnectedAtMillis = disconnectedAtMillis;
    c.awaitingRelease = new LinkedHashSet<>(awaitingRelease);
    return c;
  }

  public SessionRecord offline(long atMillis) {
    this.connected = false;
    this.disconnectedAtMillis = atMillis;
    return this;
  }
}
