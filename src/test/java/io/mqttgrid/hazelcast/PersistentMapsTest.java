package io.mqttgrid.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import io.mqttgrid.persistence.StateDatabase;
import io.mqttgrid.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stores go behind the persisted maps and no other, whatever the operator's file says. */
class PersistentMapsTest {

  @TempDir Path dir;

  @Test
  void anOperatorsWildcardMapConfigGetsNoStoreAndTheMapsKeepItsSettings() {
    Config config = new Config();
    config.addMapConfig(new MapConfig("mqttgrid.*").setBackupCount(2));
    try (StateDatabase db = StateDatabase.open(TestDatabases.embedded(dir))) {
      PersistentMaps.attach(config, db);
    }
    assertThat(config.getMapConfigs().get("mqttgrid.*").getMapStoreConfig().isEnabled()).isFalse();
    // a map the pattern matches, e.g. the route table: no store
    assertThat(config.findMapConfig(HazelcastRouteTable.MAP).getMapStoreConfig().isEnabled())
        .isFalse();
    for (String name :
        new String[] {
          HazelcastRetainedStore.MAP,
          HazelcastNamespaceEntries.MAP,
          HazelcastSessionStore.SESSIONS,
          HazelcastSessionStore.QUEUES
        }) {
      MapConfig map = config.findMapConfig(name);
      assertThat(map.getName()).isEqualTo(name);
      assertThat(map.getBackupCount()).as("backups of " + name).isEqualTo(2);
      MapStoreConfig store = map.getMapStoreConfig();
      assertThat(store.isEnabled()).isTrue();
      assertThat(store.getWriteDelaySeconds()).isZero();
      assertThat(store.getInitialLoadMode()).isEqualTo(MapStoreConfig.InitialLoadMode.EAGER);
    }
    assertThat(
            config
                .findMapConfig(HazelcastRetainedStore.MAP)
                .getMapStoreConfig()
                .getImplementation())
        .isInstanceOf(RetainedMapStore.class);
    assertThat(
            config
                .findMapConfig(HazelcastNamespaceEntries.MAP)
                .getMapStoreConfig()
                .getImplementation())
        .isInstanceOf(NamespaceMapStore.class);
  }
}
