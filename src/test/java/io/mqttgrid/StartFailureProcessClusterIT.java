package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, started as README says, on a port that is taken: it exits with the one line
 * that names the listener, and nothing else at ERROR. A fresh JVM is needed: its listeners are slow
 * to start, so the others are still starting when the taken one fails the start (what a warm test
 * JVM does not show). With the cluster tests: it runs the jar that {@code package} built.
 */
class StartFailureProcessClusterIT {

  @TempDir Path dir;

  @Test
  void aTakenPortEndsTheStartWithItsOneLineAndNoOtherError() throws Exception {
    Path jar = Path.of("target/mqttgrid.jar").toAbsolutePath();
    // the stack trace came in about 2 starts of 3 before the fix
    for (int attempt = 1; attempt <= 3; attempt++) {
      try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        Path log = dir.resolve("start-" + attempt + ".log");
        Process node =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-jar",
                    jar.toString(),
                    "--set",
                    "mqtt.host=127.0.0.1",
                    "--set",
                    "mqtt.port=" + taken.getLocalPort(),
                    "--set",
                    "mqtt.websocket-port=-1",
                    "--set",
                    "http.host=127.0.0.1",
                    "--set",
                    "http.port=" + TestBroker.freePort(),
                    "--set",
                    "management.host=127.0.0.1",
                    "--set",
                    "management.port=" + TestBroker.freePort(),
                    "--set",
                    "cluster.port=" + TestBroker.freePort())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(node.waitFor(90, TimeUnit.SECONDS)).as("the node exits").isTrue();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(node.exitValue()).as(String.join("\n", lines)).isEqualTo(1);
        assertThat(lines.stream().filter(l -> l.contains(" ERROR ")))
            .as("attempt %d: %s", attempt, String.join("\n", lines))
            .singleElement()
            .asString()
            .contains("MQTT Grid could not start: MQTT tcp listener cannot listen on 127.0.0.1:");
        assertThat(lines).noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception"));
      }
    }
  }
}
