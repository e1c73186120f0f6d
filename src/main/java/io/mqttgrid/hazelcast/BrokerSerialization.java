package io.mqttgrid.hazelcast;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.mqttgrid.session.SessionQueue;
import io.mqttgrid.session.SessionRecord;

/**
 * How the broker's objects travel between members: the entry processors and predicates are {@link
 * IdentifiedDataSerializable} (a factory id and a class id on the wire, no class name, no
 * reflection), created by {@link Factory}; the stored session records and queues, which are plain
 * classes of the session package, have stream serializers. Every member registers the same
 * (cluster.HazelcastConfigFactory), whatever Hazelcast file the operator gives.
 */
public final class BrokerSerialization {

  /** The broker's data-serializable factory id; Vert.x's cluster manager registers none. */
  public static final int FACTORY_ID = 7311;

  // 1 and 3 were the one-message queue changes that CHANGE_QUEUE replaced: not given again
  static final int CLAIM_QUEUE = 2;
  static final int DELETE_RECORD_IF_OWNED = 4;
  static final int MARK_RECORD_OFFLINE = 5;
  static final int SET_RECORD_SUBSCRIPTIONS = 6;
  static final int CHANGE_AWAITING_RELEASE = 7;
  static final int ADOPT_RECORD = 8;
  static final int RELEASE_CONNECTION = 9;
  static final int RECORD_OWNED_BY = 10;
  static final int CONNECTION_TO_NODE = 11;
  static final int KEY_HAS_PREFIX = 12;
  static final int RESTORE_RECORD = 13;
  static final int CHANGE_QUEUE = 14;
  static final int READ_QUEUE = 15;
  static final int QUEUE_SLICE = 16;
  static final int REMOVE_ENTRY = 17;

  /** Type ids of the stream serializers (custom serializer ids are positive). */
  static final int SESSION_RECORD_TYPE = 7311_01;

  static final int SESSION_QUEUE_TYPE = 7311_02;

  private BrokerSerialization() {}

  /** Adds the factory and the serializers to a member's configuration. */
  public static void register(SerializationConfig serialization) {
    serialization.addDataSerializableFactory(FACTORY_ID, new Factory());
    serialization.addSerializerConfig(
        new SerializerConfig()
            .setTypeClass(SessionRecord.class)
            .setImplementation(new SessionRecordSerializer()));
    serialization.addSerializerConfig(
        new SerializerConfig()
            .setTypeClass(SessionQueue.class)
            .setImplementation(new SessionQueueSerializer()));
  }

  /**
   * Creates the empty processor or predicate a class id names, for Hazelcast to read its fields
   * into.
   */
  public static final class Factory implements DataSerializableFactory {
    @Override
    public IdentifiedDataSerializable create(int classId) {
      return switch (classId) {
        case CLAIM_QUEUE -> new ClaimQueue();
        case DELETE_RECORD_IF_OWNED -> new DeleteRecordIfOwned();
        case MARK_RECORD_OFFLINE -> new MarkRecordOffline();
        case SET_RECORD_SUBSCRIPTIONS -> new SetRecordSubscriptions();
        case CHANGE_AWAITING_RELEASE -> new ChangeAwaitingRelease();
        case ADOPT_RECORD -> new AdoptRecord();
        case RELEASE_CONNECTION -> new ReleaseConnection();
        case RECORD_OWNED_BY -> new RecordOwnedBy();
        case CONNECTION_TO_NODE -> new ConnectionToNode();
        case KEY_HAS_PREFIX -> new KeyHasPrefix();
        case RESTORE_RECORD -> new RestoreRecord();
        case CHANGE_QUEUE -> new ChangeQueue();
        case READ_QUEUE -> new ReadQueue();
        case QUEUE_SLICE -> new ReadQueue.Slice();
        case REMOVE_ENTRY -> new RemoveEntry();
        default -> null;
      };
    }
  }
}
