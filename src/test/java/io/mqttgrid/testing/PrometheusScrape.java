package io.mqttgrid.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The samples of a Prometheus text scrape: name, labels, value. */
public final class PrometheusScrape {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples = new ArrayList<>();

  /** A node's /metrics, scraped now from its management port. */
  public static PrometheusScrape of(TestBroker broker) throws IOException, InterruptedException {
    return parse(broker.scrapeMetrics());
  }

  /** A Prometheus text exposition; every sample line must parse. */
  public static PrometheusScrape parse(String text) {
    return new PrometheusScrape(text);
  }

  private PrometheusScrape(String text) {
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.trim());
      assertThat(m.matches()).as("sample line %s", line).isTrue();
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
  }

  /** Samples of {@code name} whose labels include the given pairs. */
  public List<Sample> series(String name, String... labelPairs) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      boolean matches = s.name().equals(name);
      for (int i = 0; matches && i < labelPairs.length; i += 2) {
        matches = labelPairs[i + 1].equals(s.labels().get(labelPairs[i]));
      }
      if (matches) {
        out.add(s);
      }
    }
    return out;
  }

  /** The value of the one series with exactly these labels (all of them named). */
  public long value(String name, String... labelPairs) {
    List<Sample> found =
        series(name, labelPairs).stream()
            .filter(s -> s.labels().size() == labelPairs.length / 2)
            .toList();
    assertThat(found).as("series %s %s", name, List.of(labelPairs)).hasSize(1);
    return Math.round(found.get(0).value());
  }

  public double sum(String name) {
    return series(name).stream().mapToDouble(Sample::value).sum();
  }
}
