package io.mqttgrid.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.QueuedMessage;
import io.mqttgrid.session.SessionRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The binary form of session records, queued messages and subscriptions, field by field as the
 * session classes wrote it themselves when they were {@code DataSerializable}.
 */
final class SessionWireFormat {

  private SessionWireFormat() {}

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
      subs.add(
          new Subscription(
              in.readString(),
              in.readByte(),
              in.readBoolean(),
              in.readBoolean(),
              in.readByte(),
              in.readInt()));
    }
    return subs;
  }

  static void writeRecord(ObjectDataOutput out, SessionRecord r) throws IOException {
    out.writeString(r.clientId());
    out.writeInt(r.protocolVersion());
    out.writeLong(r.expirySeconds());
    writeSubscriptions(out, r.subscriptions());
    out.writeByteArray(r.will() == null ? null : r.will().toBytes());
    out.writeLong(r.willDelaySeconds());
    out.writeString(r.ownerNode());
    out.writeString(r.connectionId());
    out.writeBoolean(r.connected());
    out.writeLong(r.disconnectedAtMillis());
    out.writeInt(r.awaitingRelease().size());
    for (int id : r.awaitingRelease()) {
      out.writeInt(id);
    }
  }

  static SessionRecord readRecord(ObjectDataInput in) throws IOException {
    String clientId = in.readString();
    int protocolVersion = in.readInt();
    long expirySeconds = in.readLong();
    List<Subscription> subscriptions = readSubscriptions(in);
    byte[] w = in.readByteArray();
    long willDelaySeconds = in.readLong();
    String ownerNode = in.readString();
    String connectionId = in.readString();
    boolean connected = in.readBoolean();
    long disconnectedAtMillis = in.readLong();
    int m = in.readInt();
    Set<Integer> awaitingRelease = new LinkedHashSet<>();
    for (int i = 0; i < m; i++) {
      awaitingRelease.add(in.readInt());
    }
    SessionRecord r =
        new SessionRecord(clientId, protocolVersion, expirySeconds, ownerNode, connectionId)
            .subscriptions(subscriptions)
            .will(w == null ? null : PublishedMessage.fromBytes(w), willDelaySeconds)
            .awaitingRelease(awaitingRelease);
    // a new record is connected with no disconnection time, and only offline() sets one
    return connected ? r : r.offline(disconnectedAtMillis);
  }

  static void writeQueuedMessage(ObjectDataOutput out, QueuedMessage m) throws IOException {
    out.writeLong(m.seq());
    out.writeByteArray(m.message().toBytes());
    out.writeIntArray(m.subscriptionIds());
    out.writeString(m.sharedGroup());
    out.writeByte(m.state().ordinal());
    out.writeInt(m.packetId());
  }

  static QueuedMessage readQueuedMessage(ObjectDataInput in) throws IOException {
    long seq = in.readLong();
    PublishedMessage message = PublishedMessage.fromBytes(in.readByteArray());
    int[] subscriptionIds = in.readIntArray();
    String sharedGroup = in.readString();
    QueuedMessage.State state = QueuedMessage.State.values()[in.readByte()];
    int packetId = in.readInt();
    return QueuedMessage.stored(seq, message, subscriptionIds, sharedGroup, state, packetId);
  }
}
