package io.mqttgrid.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.query.Predicate;
import io.mqttgrid.events.SessionSequence;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session sequence numbers in the IMap {@code mqttgrid.session-sequence}: client id to its last
 * connection (number, node, authentication name, whether it is still open), changed by entry
 * processors on the partition owner, so two nodes accepting connections of one client id at once
 * still get different, increasing numbers. The session record cannot hold it: a session without a
 * stored record (clean, no will) has none, and a record is deleted when its session ends, while the
 * number must keep rising across sessions. Not an {@code IAtomicLong}: that is one distributed
 * object per client id, and the CP subsystem.
 *
 * <p>Entries are kept (one small value per client id ever seen), with the backups of the other
 * broker maps: a number that went back after a node died would make consumers drop the next
 * Connected event. Which connections are open, and where, lets the oldest survivor of a node that
 * died report them lost.
 */
public final class HazelcastSessionSequence implements SessionSequence {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastSessionSequence.class);

  public static final String MAP = "mqttgrid.session-sequence";

  /** The data-serializable factory id of this package's Hazelcast objects. */
  static final int FACTORY_ID = 7312;

  static final int NEXT_CONNECTION = 1;
  static final int LAST_CONNECTION = 2;
  static final int END_CONNECTION = 3;
  static final int END_CONNECTIONS_OF = 4;
  static final int OPEN_ON_NODE = 5;

  /**
   * The node id member attribute ({@code io.mqttgrid.cluster.ClusterMembership.NODE_ATTRIBUTE}).
   */
  private final String nodeAttribute;

  private final HazelcastInstance hz;
  private final IMap<String, LastConnection> connections;

  public HazelcastSessionSequence(HazelcastInstance hz, String nodeAttribute) {
    this.hz = hz;
    this.nodeAttribute = nodeAttribute;
    this.connections = hz.getMap(MAP);
  }

  @Override
  public CompletionStage<Long> next(String clientId, String node, String authenticationName) {
    return connections.submitToKey(clientId, new NextConnection(node, authenticationName));
  }

  @Override
  public void ended(String clientId, long sequenceNumber) {
    connections
        .submitToKey(clientId, new EndConnection(sequenceNumber))
        .whenCompleteAsync(
            (x, error) -> {
              if (error != null) {
                LOG.debug(
                    "connection {} of {} not marked ended: {}", sequenceNumber, clientId, error);
              }
            },
            Runnable::run);
  }

  /**
   * When a node leaves the cluster, the oldest survivor takes its open connections off the map and
   * hands each to {@code lost} (client id, last connection), on {@code blocking}: a cluster-wide
   * query.
   */
  public void onNodeLost(Executor blocking, Consumer<LostConnection> lost) {
    hz.getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {}

              @Override
              public void memberRemoved(MembershipEvent event) {
                String gone = event.getMember().getAttribute(nodeAttribute);
                if (gone == null || !oldest()) {
                  return;
                }
                blocking.execute(
                    () -> {
                      for (LostConnection c : endConnectionsOf(gone)) {
                        lost.accept(c);
                      }
                    });
              }
            });
  }

  /** A connection open on a node that left, with its client id. */
  public record LostConnection(String clientId, String authenticationName, long sequenceNumber) {}

  /** Blocking: ends the open connections of {@code node} and answers them. */
  List<LostConnection> endConnectionsOf(String node) {
    List<LostConnection> out = new ArrayList<>();
    try {
      Map<String, LastConnection> ended =
          connections.executeOnEntries(new EndConnectionsOf(node), new OpenOnNode(node));
      ended.forEach(
          (clientId, c) -> {
            if (c != null) {
              out.add(new LostConnection(clientId, c.authenticationName, c.sequenceNumber));
            }
          });
    } catch (RuntimeException e) {
      LOG.warn("connections of departed node {} not reported lost: {}", node, e.toString());
    }
    return out;
  }

  private boolean oldest() {
    try {
      Member oldest = hz.getCluster().getMembers().iterator().next();
      return oldest.localMember();
    } catch (RuntimeException e) {
      return false; // shutting down
    }
  }

  /**
   * What every member needs for this map, whatever Hazelcast file the operator gives: this
   * package's factory, and the map's backups unless the file configures the map.
   */
  public static void configure(Config config, int backupCount) {
    config.getSerializationConfig().addDataSerializableFactory(FACTORY_ID, new Factory());
    if (!config.getMapConfigs().containsKey(MAP)) {
      config.addMapConfig(new MapConfig(MAP).setBackupCount(backupCount));
    }
  }

  /** The map's value: a client id's last connection. */
  static final class LastConnection implements IdentifiedDataSerializable {
    long sequenceNumber;
    String node;
    String authenticationName;
    boolean open;

    LastConnection() {}

    LastConnection(long sequenceNumber, String node, String authenticationName, boolean open) {
      this.sequenceNumber = sequenceNumber;
      this.node = node;
      this.authenticationName = authenticationName;
      this.open = open;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(sequenceNumber);
      out.writeString(node);
      out.writeString(authenticationName);
      out.writeBoolean(open);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      sequenceNumber = in.readLong();
      node = in.readString();
      authenticationName = in.readString();
      open = in.readBoolean();
    }

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return LAST_CONNECTION;
    }
  }

  /** A new connection: the next number (absent: 1), open on its node. */
  static final class NextConnection
      implements EntryProcessor<String, LastConnection, Long>, IdentifiedDataSerializable {
    private String node;
    private String authenticationName;

    NextConnection() {}

    NextConnection(String node, String authenticationName) {
      this.node = node;
      this.authenticationName = authenticationName;
    }

    @Override
    public Long process(Map.Entry<String, LastConnection> entry) {
      long next = (entry.getValue() == null ? 0 : entry.getValue().sequenceNumber) + 1;
      entry.setValue(new LastConnection(next, node, authenticationName, true));
      return next;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
      out.writeString(authenticationName);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
      authenticationName = in.readString();
    }

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return NEXT_CONNECTION;
    }
  }

  /** Connection {@code sequenceNumber} ended, unless a newer one is the last by now. */
  static final class EndConnection
      implements EntryProcessor<String, LastConnection, Object>, IdentifiedDataSerializable {
    private long sequenceNumber;

    EndConnection() {}

    EndConnection(long sequenceNumber) {
      this.sequenceNumber = sequenceNumber;
    }

    @Override
    public Object process(Map.Entry<String, LastConnection> entry) {
      LastConnection c = entry.getValue();
      if (c != null && c.open && c.sequenceNumber == sequenceNumber) {
        entry.setValue(new LastConnection(c.sequenceNumber, c.node, c.authenticationName, false));
      }
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(sequenceNumber);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      sequenceNumber = in.readLong();
    }

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return END_CONNECTION;
    }
  }

  /** Ends an open connection of a departed node; answers it as it was, or null. */
  static final class EndConnectionsOf
      implements EntryProcessor<String, LastConnection, LastConnection>,
          IdentifiedDataSerializable {
    private String node;

    EndConnectionsOf() {}

    EndConnectionsOf(String node) {
      this.node = node;
    }

    @Override
    public LastConnection process(Map.Entry<String, LastConnection> entry) {
      LastConnection c = entry.getValue();
      if (c == null || !c.open || !node.equals(c.node)) {
        return null;
      }
      entry.setValue(new LastConnection(c.sequenceNumber, c.node, c.authenticationName, false));
      return c;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return END_CONNECTIONS_OF;
    }
  }

  /** Selects the open connections of a node. */
  static final class OpenOnNode
      implements Predicate<String, LastConnection>, IdentifiedDataSerializable {
    private String node;

    OpenOnNode() {}

    OpenOnNode(String node) {
      this.node = node;
    }

    @Override
    public boolean apply(Map.Entry<String, LastConnection> entry) {
      LastConnection c = entry.getValue();
      return c != null && c.open && node.equals(c.node);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return OPEN_ON_NODE;
    }
  }

  static final class Factory implements DataSerializableFactory {
    @Override
    public IdentifiedDataSerializable create(int classId) {
      return switch (classId) {
        case NEXT_CONNECTION -> new NextConnection();
        case LAST_CONNECTION -> new LastConnection();
        case END_CONNECTION -> new EndConnection();
        case END_CONNECTIONS_OF -> new EndConnectionsOf();
        case OPEN_ON_NODE -> new OpenOnNode();
        default -> null;
      };
    }
  }
}
