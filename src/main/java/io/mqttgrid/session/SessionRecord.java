package io.mqttgrid.session;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The durable part of a persistent session (MQTT 5 section 4.1): what a device finds again when it
 * reconnects to any node. The queue of messages lives beside it, under the same key.
 */
public final class SessionRecord implements DataSerializable {

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

  public SessionRecord() {
  }

  public SessionRecord(String clientId, int protocolVersion, long expirySeconds, String ownerNode,
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
    return !connected && expirySeconds != NEVER_EXPIRES
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

  /** A copy, so that a caller's view does not change with the stored object (OBJECT in-memory format). */
  public SessionRecord copy() {
    SessionRecord c = new SessionRecord(clientId, protocolVersion, expirySeconds, ownerNode, connectionId);
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

  static void writeSubscriptions(ObjectDataOutput out, List<Subscription> subs) throws IOException {
    out.writeInt(subs.size());
    for (Subscription s : subs) {
      out.writeString(s.filter());
      out.writeByte(s.qos());
      out.writeBoolean(s.noLocal());
      out.writeBoolean(s.retainAsPublished());
      out.writeByte(s.retainHandling());
      out.writeInt(s.subscriptionId());
    }
  }

  static List<Subscription> readSubscriptions(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    List<Subscription> subs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      subs.add(new Subscription(in.readString(), in.readByte(), in.readBoolean(), in.readBoolean(), in.readByte(),
          in.readInt()));
    }
    return subs;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(clientId);
    out.writeInt(protocolVersion);
    out.writeLong(expirySeconds);
    writeSubscriptions(out, subscriptions);
    out.writeByteArray(will == null ? null : will.toBytes());
    out.writeLong(willDelaySeconds);
    out.writeString(ownerNode);
    out.writeString(connectionId);
    out.writeBoolean(connected);
    out.writeLong(disconnectedAtMillis);
    out.writeInt(awaitingRelease.size());
    for (int id : awaitingRelease) {
      out.writeInt(id);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    clientId = in.readString();
    protocolVersion = in.readInt();
    expirySeconds = in.readLong();
    subscriptions = readSubscriptions(in);
    byte[] w = in.readByteArray();
    will = w == null ? null : PublishedMessage.fromBytes(w);
    willDelaySeconds = in.readLong();
    ownerNode = in.readString();
    connectionId = in.readString();
    connected = in.readBoolean();
    disconnectedAtMillis = in.readLong();
    int m = in.readInt();
    awaitingRelease = new LinkedHashSet<>();
    for (int i = 0; i < m; i++) {
      awaitingRelease.add(in.readInt());
    }
  }
}
