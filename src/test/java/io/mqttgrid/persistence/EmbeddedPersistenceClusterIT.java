package io.mqttgrid.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.ClusterFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single node with the embedded store (an H2 file in a temporary directory), run from the
 * packaged jar so that it can be killed for real: retained messages and namespace resources made
 * just before a kill -9 are all back when it starts again on the same directory, as soon as it
 * reports ready.
 */
class EmbeddedPersistenceClusterIT {

  @TempDir Path dir;

  @Test
  void retainedMessagesAndNamespaceResourcesSurviveAKill9() throws Exception {
    Path data = dir.resolve("data");
    try (ClusterFixture node =
        ClusterFixture.start(
            EmbeddedPersistenceClusterIT.class.getSimpleName(),
            1,
            Map.of(
                "cluster.mode",
                "local",
                "persistence.store",
                "embedded",
                "persistence.embedded.directory",
                data.toString(),
                "management.token",
                PersistedState.TOKEN))) {
      ClusterFixture.Node n1 = node.node(1);
      PersistedState state = new PersistedState();
      state.createResources(n1.host(), n1.managementPort(), "single", 4);
      state.retain(n1.host(), n1.mqttPort(), "single", 30);

      node.kill(1);
      assertThat(Files.isRegularFile(data.resolve("mqttgrid.mv.db"))).isTrue();
      // past the 1-second expiry of the message that must not come back
      Thread.sleep(1100);
      node.restart(1);
      node.awaitReady(1, Duration.ofSeconds(60));

      state.assertResourcesBack(n1.host(), n1.managementPort());
      state.assertTopicSpaceBack(n1.host(), n1.managementPort(), "single");
      state.assertRetainedBack(n1.host(), n1.mqttPort());
      assertThat(Files.readString(n1.log()))
          .contains("persistence: embedded H2 file in " + data.toAbsolutePath());
    }
  }
}
