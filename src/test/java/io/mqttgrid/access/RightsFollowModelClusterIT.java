package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.ClusterFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A connection's rights follow the namespace model across a two-node cluster: a binding is created
 * or deleted through node 1's management API while a client connects to node 2 (which learns of the
 * change a little later) or to node 1 (which shows its own change before answering), over and over.
 */
class RightsFollowModelClusterIT {

  private static final String TOKEN = "rights-follow-model-cluster-token";
  private static final int TRIES = 20;

  static Path dir;
  static ClusterFixture cluster;
  static RightsRace otherNode;
  static RightsRace sameNode;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("rights-follow-model-cluster");
    Path namespace = dir.resolve("namespace.yaml");
    Files.writeString(namespace, RightsRace.namespaceYaml());
    cluster =
        ClusterFixture.start(
            RightsFollowModelClusterIT.class.getSimpleName(),
            2,
            Map.of(
                "auth.anonymous",
                "false",
                "management.token",
                TOKEN,
                "namespace.file",
                namespace.toString()));
    ClusterFixture.Node one = cluster.node(1);
    ClusterFixture.Node two = cluster.node(2);
    otherNode =
        new RightsRace(one.host(), one.managementPort(), TOKEN, two.host(), two.mqttPort(), false);
    sameNode =
        new RightsRace(one.host(), one.managementPort(), TOKEN, one.host(), one.mqttPort(), true);
  }

  @AfterAll
  static void stop() {
    for (RightsRace race : new RightsRace[] {otherNode, sameNode}) {
      if (race != null) {
        race.close();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientConnectingToTheOtherNodeWhileABindingIsCreatedMaySubscribeOnceThatNodeHasIt()
      throws Exception {
    List<String> failures = otherNode.grant("two", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }

  @Test
  void aClientConnectingToTheOtherNodeWhileABindingIsDeletedDoesNotKeepTheSubscription()
      throws Exception {
    List<String> failures = otherNode.revoke("two", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }

  @Test
  void aClientConnectingToTheChangingNodeMaySubscribeOnceTheCreationIsAnswered() throws Exception {
    List<String> failures = sameNode.grant("one", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }

  @Test
  void aClientConnectingToTheChangingNodeDoesNotKeepARevokedSubscription() throws Exception {
    List<String> failures = sameNode.revoke("one", TRIES);
    assertThat(failures).as(failures.size() + " of " + TRIES + " tries").isEmpty();
  }
}
