package io.mqttgrid.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hazelcast configuration file ({@code cluster.mode: file}) for a member of a test cluster on
 * loopback: its own port, the other members listed (TCP/IP join, no multicast or auto-detection),
 * and no wait before joining, so that a two-node cluster forms in a test's time.
 */
public final class LoopbackHazelcast {

  private LoopbackHazelcast() {}

  /** Writes {@code name} in {@code dir} for the member on {@code port} of {@code cluster}. */
  public static Path configFile(Path dir, String name, String cluster, int port, int... members)
      throws IOException {
    StringBuilder list = new StringBuilder();
    for (int m : members) {
      list.append("<member>127.0.0.1:").append(m).append("</member>");
    }
    String xml =
        """
        <hazelcast xmlns="http://www.hazelcast.com/schema/config">
          <cluster-name>%s</cluster-name>
          <properties><property name="hazelcast.wait.seconds.before.join">0</property></properties>
          <network>
            <port auto-increment="false">%d</port>
            <interfaces enabled="true"><interface>127.0.0.1</interface></interfaces>
            <join>
              <auto-detection enabled="false"/>
              <multicast enabled="false"/>
              <tcp-ip enabled="true">%s</tcp-ip>
            </join>
          </network>
        </hazelcast>
        """
            .formatted(cluster, port, list);
    Path file = dir.resolve(name);
    Files.writeString(file, xml, StandardCharsets.UTF_8);
    return file;
  }
}
