package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TestPostgres;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes (separate JVMs from the packaged jar) on one real PostgreSQL started by this test:
 * retained messages and namespace resources made through every node are all back after a kill -9 of
 * all three and a new start, and a cluster of another name pointed at the same database is refused
 * while this one runs.
 */
class PostgresPersistenceClusterIT {

  private static TestPostgres postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() {
    if (postgres != null) {
      postgres.close();
    }
  }

  private static Map<String, String> persistence(String url) {
    return Map.of(
        "persistence.store",
        "postgres",
        "persistence.postgres.url",
        url,
        "persistence.postgres.user",
        postgres.user(),
        "persistence.postgres.pool-size",
        "3",
        "management.token",
        PersistedState.TOKEN);
  }

  @Test
  void theStateOfAClusterKilledWholeIsBackAndASecondClusterIsRefused() throws Exception {
    String url = postgres.newDatabase();
    PersistedState state = new PersistedState();
    try (ClusterFixture cluster =
        ClusterFixture.start(
            PostgresPersistenceClusterIT.class.getSimpleName(), 3, persistence(url))) {
      for (int i = 1; i <= 3; i++) {
        ClusterFixture.Node n = cluster.node(i);
        state.createResources(n.host(), n.managementPort(), "n" + i, 3);
        state.retain(n.host(), n.mqttPort(), "n" + i, 20);
      }

      // a cluster of another name on the same database: its node exits at start, saying why
      Throwable refused =
          catchThrowable(
              () ->
                  ClusterFixture.start(
                          PostgresPersistenceClusterIT.class.getSimpleName() + "-other",
                          1,
                          persistence(url))
                      .close());
      assertThat(refused)
          .hasMessageContaining("exited (exit 1)")
          .hasMessageContaining("MQTT Grid could not start: the state database")
          .hasMessageContaining("is held by cluster 'it-PostgresPersistenceClusterIT-");

      for (int i = 1; i <= 3; i++) {
        cluster.kill(i);
      }
      // past the 1-second expiry of the messages that must not come back
      Thread.sleep(1100);
      for (int i = 1; i <= 3; i++) {
        cluster.restart(i);
        if (i == 1) {
          cluster.awaitReady(1, Duration.ofSeconds(90));
          // the first node back holds everything before it reports ready
          state.assertResourcesBack(cluster.node(1).host(), cluster.node(1).managementPort());
          state.assertRetainedBack(cluster.node(1).host(), cluster.node(1).mqttPort());
        }
      }
      cluster.awaitMembers(3, Duration.ofSeconds(90));
      for (int i = 1; i <= 3; i++) {
        ClusterFixture.Node n = cluster.node(i);
        state.assertResourcesBack(n.host(), n.managementPort());
        state.assertTopicSpaceBack(n.host(), n.managementPort(), "n" + i);
        state.assertRetainedBack(n.host(), n.mqttPort());
      }
    }
  }
}
