package io.mqttgrid.deploy;

import static io.mqttgrid.deploy.KubernetesManifestsTest.EXIT_ON_OOM;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.ClusterFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every broker start this repository documents or runs exits on OutOfMemoryError, as the image and
 * the pods do ({@link KubernetesManifestsTest}): the README's commands, the load-test scripts and
 * the cluster tests' node JVMs. A node out of heap must exit so that its supervisor restarts it,
 * not stay up wedged.
 */
class BrokerStartCommandsTest {

  /**
   * {@code java [flags] -jar <...>mqttgrid.jar}: a broker start (not {@code java -cp} of a tool in
   * the jar).
   */
  private static final Pattern BROKER_START =
      Pattern.compile("\\bjava\\s[^`]*?-jar\\s+\\S*mqttgrid\\.jar");

  /** The commands of a shell text, continuation lines ({@code \} at the end) joined. */
  static List<String> brokerStarts(String text) {
    List<String> starts = new ArrayList<>();
    for (String line : text.replaceAll("\\\\\\r?\\n", " ").split("\\r?\\n")) {
      if (BROKER_START.matcher(line).find()) {
        starts.add(line.strip());
      }
    }
    return starts;
  }

  @Test
  void theReadmesRunCommandsExitOnOutOfMemory() throws IOException {
    List<String> starts = brokerStarts(Files.readString(Path.of("README.md")));
    assertThat(starts)
        .as("java ... -jar target/mqttgrid.jar in README.md")
        .anyMatch(c -> c.contains("-jar target/mqttgrid.jar"));
    assertThat(starts).allSatisfy(c -> assertThat(c).as("README command").contains(EXIT_ON_OOM));
  }

  @Test
  void theLoadTestScriptsStartNodesThatExitOnOutOfMemory() throws IOException {
    List<String> starts = new ArrayList<>();
    try (Stream<Path> scripts = Files.list(Path.of("load-tests/scripts"))) {
      for (Path script : scripts.filter(p -> p.toString().endsWith(".sh")).toList()) {
        brokerStarts(Files.readString(script))
            .forEach(c -> starts.add(script.getFileName() + ": " + c));
      }
    }
    assertThat(starts).as("broker starts in load-tests/scripts").isNotEmpty();
    assertThat(starts).allSatisfy(c -> assertThat(c).contains(EXIT_ON_OOM));
  }

  @Test
  void theClusterTestsStartNodesAsProductionDoes() {
    assertThat(ClusterFixture.NODE_JVM_FLAGS).contains(EXIT_ON_OOM);
  }

  @Test
  void aStartWithoutTheFlagIsFound() {
    assertThat(
            brokerStarts(
                """
            java -Xmx1g -jar target/mqttgrid.jar --set a=b \\
              --set c=d
            java -cp target/mqttgrid.jar io.mqttgrid.auth.PasswordHashes
        """))
        .singleElement()
        .satisfies(
            c ->
                assertThat(c)
                    .startsWith("java -Xmx1g -jar target/mqttgrid.jar")
                    .contains("--set c=d")
                    .doesNotContain(EXIT_ON_OOM));
  }
}
