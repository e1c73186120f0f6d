package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.persistence.PersistenceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistence.* keys: what each value of persistence.store means in each cluster mode. */
class PersistenceConfigTest {

  private static final Map<String, String> TCP =
      Map.of("cluster.mode", "tcp", "cluster.members", "127.0.0.1:5701");

  @Test
  void autoIsTheEmbeddedStoreForASingleNodeAndNothingForACluster() {
    PersistenceSettings single = BrokerConfig.of(Map.of()).persistence;
    assertThat(single.kind()).isEqualTo(PersistenceSettings.Kind.EMBEDDED);
    assertThat(single.directory()).isEqualTo(Path.of("data"));
    assertThat(single.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(single.leaseTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(BrokerConfig.of(TCP).persistence).isNull();
    assertThat(BrokerConfig.of(Map.of("persistence.store", "none")).persistence).isNull();
  }

  @Test
  void theEmbeddedStoreIsRefusedInAClusterMode() {
    Map<String, String> cfg = new java.util.HashMap<>(TCP);
    cfg.put("persistence.store", "embedded");
    assertThatThrownBy(() -> BrokerConfig.of(cfg))
        .hasMessageContaining("cluster.mode 'tcp' needs persistence.store 'postgres'");
  }

  @Test
  void postgresNeedsAJdbcUrlAndTakesThePasswordFromAFile(@TempDir Path dir) throws Exception {
    Map<String, String> cfg = new java.util.HashMap<>(TCP);
    cfg.put("persistence.store", "postgres");
    assertThatThrownBy(() -> BrokerConfig.of(cfg))
        .hasMessageContaining("needs persistence.postgres.url (MQTTGRID_PERSISTENCE_POSTGRES_URL)");
    cfg.put("persistence.postgres.url", "jdbc:postgresql://db:5432/mqttgrid");
    cfg.put("persistence.postgres.user", "broker");
    Path secret = Files.writeString(dir.resolve("password"), "s3cret\n");
    cfg.put("persistence.postgres.password-file", secret.toString());
    PersistenceSettings pg = BrokerConfig.of(cfg).persistence;
    assertThat(pg.kind()).isEqualTo(PersistenceSettings.Kind.POSTGRES);
    assertThat(pg.password()).isEqualTo("s3cret");
    assertThat(pg.toString()).doesNotContain("s3cret");
    cfg.put("persistence.postgres.password", "other");
    assertThatThrownBy(() -> BrokerConfig.of(cfg)).hasMessageContaining("use one");
  }

  @Test
  void sessionRecordsAreWrittenThroughUnlessSaidOtherwise() {
    PersistenceSettings byDefault = BrokerConfig.of(Map.of()).persistence;
    assertThat(byDefault.sessionRecordWriteBehind()).isZero();
    assertThat(byDefault.sessionRecordWrite()).isEqualTo("write-through");
    PersistenceSettings behind =
        BrokerConfig.of(
                Map.of(
                    "persistence.session-record-write",
                    "BEHIND",
                    "persistence.session-record-write-behind-ms",
                    "250"))
            .persistence;
    assertThat(behind.sessionRecordWriteBehind()).hasMillis(250);
    assertThat(behind.sessionRecordWrite()).isEqualTo("write-behind 250 ms");
    assertThat(behind.sessionQueueWriteBehind()).as("the queues' own setting").isZero();
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("persistence.session-record-write", "later")))
        .hasMessageContaining(
            "persistence.session-record-write (MQTTGRID_PERSISTENCE_SESSION_RECORD_WRITE) must be"
                + " through or behind, got 'later'");
  }

  @Test
  void theEmbeddedStoresPageCacheIsSmallUnlessSaidOtherwise() {
    assertThat(BrokerConfig.of(Map.of()).persistence.embeddedPageCacheMb()).isEqualTo(4);
    assertThat(
            BrokerConfig.of(Map.of("persistence.embedded.page-cache-mb", "64"))
                .persistence
                .embeddedPageCacheMb())
        .isEqualTo(64);
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("persistence.embedded.page-cache-mb", "0")))
        .hasMessageContaining("persistence.embedded.page-cache-mb");
  }

  @Test
  void anUnknownStoreIsRefused() {
    assertThatThrownBy(() -> BrokerConfig.of(Map.of("persistence.store", "mysql")))
        .hasMessageContaining("must be auto, none, embedded or postgres, got 'mysql'");
  }
}
