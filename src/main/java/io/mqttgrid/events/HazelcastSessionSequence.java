package io.mqttgrid.events;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Session sequence numbers in the IMap {@code mqttgrid.session-sequence}: client id to the number
 * of its last connection, raised by an entry processor on the partition owner, so two nodes
 * accepting connections of one client id at once still get different, increasing numbers. The
 * session record cannot hold it: a session without a stored record (clean, no will) has none, and a
 * record is deleted when its session ends, while the number must keep rising across sessions. Not
 * an {@code IAtomicLong}: that is one distributed object per client id, and the CP subsystem.
 *
 * <p>Entries are kept (a long per client id ever seen), with the backups of the other broker maps:
 * a number that went back after a node died would make consumers drop the next Connected event.
 */
public final class HazelcastSessionSequence implements SessionSequence {

  public static final String MAP = "mqttgrid.session-sequence";

  /** The data-serializable factory id of this package's Hazelcast objects. */
  static final int FACTORY_ID = 7312;

  static final int NEXT_SEQUENCE = 1;

  private final IMap<String, Long> numbers;

  public HazelcastSessionSequence(HazelcastInstance hz) {
    this.numbers = hz.getMap(MAP);
  }

  @Override
  public CompletionStage<Long> next(String clientId) {
    return numbers.submitToKey(clientId, new NextSequence());
  }

  /**
   * What every member needs for this map, whatever Hazelcast file the operator gives: the entry
   * processor's factory, and the map's backups unless the file configures the map.
   */
  public static void configure(Config config, int backupCount) {
    config.getSerializationConfig().addDataSerializableFactory(FACTORY_ID, new Factory());
    if (!config.getMapConfigs().containsKey(MAP)) {
      config.addMapConfig(new MapConfig(MAP).setBackupCount(backupCount));
    }
  }

  /** Raises the number by one (absent: 0) and answers the new one. */
  static final class NextSequence
      implements EntryProcessor<String, Long, Long>, IdentifiedDataSerializable {

    @Override
    public Long process(Map.Entry<String, Long> entry) {
      long next = (entry.getValue() == null ? 0 : entry.getValue()) + 1;
      entry.setValue(next);
      return next;
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}

    @Override
    public int getFactoryId() {
      return FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return NEXT_SEQUENCE;
    }
  }

  static final class Factory implements DataSerializableFactory {
    @Override
    public IdentifiedDataSerializable create(int classId) {
      return classId == NEXT_SEQUENCE ? new NextSequence() : null;
    }
  }
}
