package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the tests that share one JVM rely on from {@link LocalMember}. */
class LocalMemberTest {

  @Test
  void twoMembersStartedSideBySideStayInClustersOfTheirOwn() {
    try (LocalMember a = LocalMember.start("alone");
        LocalMember b = LocalMember.start("alone")) {
      assertThat(a.hazelcast().getCluster().getMembers()).hasSize(1);
      assertThat(b.hazelcast().getCluster().getMembers()).hasSize(1);
      a.<String, String>map("shared.name").set("k", "from a");
      assertThat(b.<String, String>map("shared.name").get("k")).isNull();
    }
  }
}
