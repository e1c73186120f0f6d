package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BridgeOwnershipTest {

  private static final List<String> THREE = List.of("n1", "n2", "n3");

  @Test
  void everyNodeComputesTheSameOwnerWhateverOrderItSeesTheMembersIn() {
    for (int i = 1; i <= 3; i++) {
      assertThat(BridgeOwnership.owner("up", i, List.of("n3", "n1", "n2")))
          .isEqualTo(BridgeOwnership.owner("up", i, THREE));
    }
  }

  @Test
  void theInstancesOfOneDataflowRunOnDifferentNodesWhileThereAreNodesEnough() {
    for (String flow : List.of("up", "down", "fan-in", "telemetry", "x")) {
      Set<String> owners = new HashSet<>();
      for (int i = 1; i <= 3; i++) {
        owners.add(BridgeOwnership.owner(flow, i, THREE));
      }
      assertThat(owners).as(flow).containsExactlyInAnyOrderElementsOf(THREE);
      // a fourth instance goes round again, to the first instance's node
      assertThat(BridgeOwnership.owner(flow, 4, THREE))
          .isEqualTo(BridgeOwnership.owner(flow, 1, THREE));
    }
  }

  @Test
  void singleInstanceDataflowsSpreadOverTheNodes() {
    Map<String, Integer> perNode = new HashMap<>();
    for (int f = 0; f < 300; f++) {
      perNode.merge(BridgeOwnership.owner("flow-" + f, 1, THREE), 1, Integer::sum);
    }
    assertThat(perNode).containsOnlyKeys(THREE);
    assertThat(perNode.values()).allMatch(n -> n > 60, "each node runs a fair share");
  }

  @Test
  void whenANodeLeavesOnlyTheSingleInstancesItRanMove() {
    List<String> two = List.of("n1", "n3");
    int moved = 0;
    for (int f = 0; f < 100; f++) {
      String flow = "flow-" + f;
      String before = BridgeOwnership.owner(flow, 1, THREE);
      String after = BridgeOwnership.owner(flow, 1, two);
      if (before.equals("n2")) {
        assertThat(after).isIn(two);
        moved++;
      } else {
        assertThat(after).as(flow).isEqualTo(before);
      }
    }
    assertThat(moved).isPositive();
  }

  @Test
  void oneNodeRunsEverythingAndNoNodesNothing() {
    for (int i = 1; i <= 3; i++) {
      assertThat(BridgeOwnership.owner("up", i, List.of("n1"))).isEqualTo("n1");
    }
    assertThat(BridgeOwnership.owner("up", 1, new ArrayList<>())).isNull();
  }
}
