package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docs/configuration.md lists every key of config/mqttgrid.yaml (the single source of defaults)
 * with its environment variable and default: a key added, renamed or given another default in the
 * YAML without the same change in the table fails here.
 */
class ConfigurationDocTest {

  private static final Pattern ROW =
      Pattern.compile("^\\| `([^`]+)` \\| `([^`]+)` \\| `([^`]*)` \\| (.*) \\|$");

  @Test
  void theTableListsEveryKeyOfTheYamlWithItsVariableAndDefault() throws IOException {
    Map<String, String> yaml = new LinkedHashMap<>();
    flatten(
        "",
        new Yaml(new SafeConstructor(new LoaderOptions()))
            .load(Files.readString(Path.of("config/mqttgrid.yaml"))),
        yaml);
    Map<String, String> table = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("docs/configuration.md"))) {
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        assertThat(row.group(2))
            .as("variable of " + row.group(1))
            .isEqualTo(BrokerConfig.envName(row.group(1)));
        assertThat(row.group(4).isBlank()).as("meaning of " + row.group(1)).isFalse();
        String shown = row.group(3).equals("\"\"") ? "" : row.group(3);
        assertThat(table.put(row.group(1), shown)).as("rows of " + row.group(1)).isNull();
      }
    }
    assertThat(table).isEqualTo(yaml);
    assertThat(yaml.keySet()).isEqualTo(BrokerConfig.knownKeys());
  }

  private static void flatten(String prefix, Object node, Map<String, String> out) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        flatten(
            prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(),
            e.getValue(),
            out);
      }
    } else {
      out.put(prefix, node == null ? "" : String.valueOf(node));
    }
  }
}
