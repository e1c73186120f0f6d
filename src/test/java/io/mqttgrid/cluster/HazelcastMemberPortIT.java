package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.testing.TestBroker;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The Hazelcast member port of a node whose cluster interface is loopback (the single-node default,
 * or {@code cluster.interface=127.0.0.1}) listens on loopback only: a member connection from the
 * network is refused. Hazelcast members do not authenticate each other; a stranger who reached the
 * port could join and read or change every map.
 */
class HazelcastMemberPortIT {

  /** An IPv4 address of this host that is not loopback, if it has one. */
  private static Optional<InetAddress> networkAddress() throws SocketException {
    for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!n.isUp() || n.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(n.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          return Optional.of(a);
        }
      }
    }
    return Optional.empty();
  }

  private static void assertLoopbackOnly(Map<String, String> keys) throws Exception {
    Optional<InetAddress> network = networkAddress();
    assumeTrue(network.isPresent(), "this host has no network address besides loopback");
    HazelcastInstance member =
        Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(BrokerConfig.of(keys)));
    try {
      int port = member.getCluster().getLocalMember().getAddress().getPort();
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      }
      assertThatThrownBy(
              () -> {
                try (Socket s = new Socket()) {
                  s.connect(new InetSocketAddress(network.get(), port), 2000);
                }
              })
          .as("member port %d on %s", port, network.get())
          .isInstanceOf(IOException.class);
    } finally {
      member.shutdown();
    }
    assertThat(member.getLifecycleService().isRunning()).isFalse();
  }

  @Test
  void aSingleNodesMemberPortIsOnLoopbackOnly() throws Exception {
    assertLoopbackOnly(
        Map.of("node.id", "port-local", "cluster.port", String.valueOf(TestBroker.freePort())));
  }

  @Test
  void aClusterNodeListensOnlyOnItsClusterInterface() throws Exception {
    int port = TestBroker.freePort();
    assertLoopbackOnly(
        Map.of(
            "node.id",
            "port-tcp",
            "cluster.mode",
            "tcp",
            "cluster.name",
            "port-it-" + port,
            "cluster.interface",
            "127.0.0.1",
            "cluster.port",
            String.valueOf(port),
            "cluster.members",
            "127.0.0.1:" + port));
  }
}
