package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection's rights follow the namespace model of its node, whatever the order of its CONNECT
 * and a change made through the node's management API: connects race the creation and the deletion
 * of a permission binding, over and over, and every connection ends up with the rights of the
 * changed model.
 */
@WithBroker(
    value = {"auth.anonymous=false", "management.token=" + RightsFollowModelIT.TOKEN},
    configMethod = "namespace")
class RightsFollowModelIT {

  static final String TOKEN = "rights-follow-model-admin-token";

  /**
   * Enough that a window of a few milliseconds between a connection's rights and the change is hit.
   */
  private static final int TRIES = 30;

  @TempDir static Path dir;
  static TestBroker broker;
  static RightsRace race;

  static Map<String, String> namespace() throws Exception {
    Files.writeString(dir.resolve("namespace.yaml"), RightsRace.namespaceYaml());
    return Map.of("namespace.file", dir.resolve("namespace.yaml").toString());
  }

  @BeforeAll
  static void start() {
    race =
        new RightsRace(
            "127.0.0.1", broker.managementPort(), TOKEN, "127.0.0.1", broker.mqttPort(), true);
  }

  @AfterAll
  static void stop() {
    if (race != null) {
      race.close();
    }
  }

  @Test
  void aClientConnectingWhileABindingIsCreatedMaySubscribeOnceTheCreationIsAnswered()
      throws Exception {
    List<String> failures = race.grant("one", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }

  @Test
  void aClientConnectingWhileABindingIsDeletedDoesNotKeepTheSubscription() throws Exception {
    List<String> failures = race.revoke("one", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }
}
