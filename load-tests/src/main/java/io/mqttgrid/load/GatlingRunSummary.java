package io.mqttgrid.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Prints the figures of one or more Gatling 3.10 runs side by side, per request name: OK and KO counts, the
 * rate over the span in which that request happened (Gatling's own "mean requests/sec" divides by the whole
 * run, idle ramp and drain included), p50/p99/max in ms, and the peak of concurrent virtual users. Reads
 * the run's {@code simulation.log} (tab-separated in Gatling 3.10).
 *
 * <pre>java -cp target/classes io.mqttgrid.load.GatlingRunSummary MQTT-Grid=target/gatling/run-a Mosquitto=target/gatling/run-b</pre>
 */
public final class GatlingRunSummary {

  private record Figures(long ok, long ko, double perSecond, long p50, long p99, long max) {}

  private record Run(String label, Map<String, Figures> requests, int peakUsers) {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: GatlingRunSummary label=runDirectory ...");
      System.exit(2);
    }
    List<Run> runs = new ArrayList<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String label = eq < 0 ? Path.of(arg).getFileName().toString() : arg.substring(0, eq);
      Path dir = Path.of(eq < 0 ? arg : arg.substring(eq + 1));
      runs.add(read(label, dir.resolve("simulation.log")));
    }
    print(runs);
  }

  private static Run read(String label, Path log) throws IOException {
    Map<String, List<long[]>> timings = new LinkedHashMap<>();
    TreeMap<Long, Integer> userEvents = new TreeMap<>();
    try (Stream<String> lines = Files.lines(log)) {
      lines.forEach(line -> {
        String[] f = line.split("\t", -1);
        if (f[0].equals("REQUEST") && f.length >= 6) {
          long start = Long.parseLong(f[3]);
          long end = Long.parseLong(f[4]);
          timings.computeIfAbsent(f[2], k -> new ArrayList<>())
              .add(new long[] {start, end, f[5].equals("OK") ? 1 : 0});
        } else if (f[0].equals("USER") && f.length >= 4) {
          userEvents.merge(Long.parseLong(f[3]), f[2].equals("START") ? 1 : -1, Integer::sum);
        }
      });
    }
    Map<String, Figures> requests = new LinkedHashMap<>();
    timings.forEach((name, list) -> requests.put(name, figures(list)));
    int users = 0;
    int peak = 0;
    for (int delta : userEvents.values()) {
      users += delta;
      peak = Math.max(peak, users);
    }
    return new Run(label, requests, peak);
  }

  private static Figures figures(List<long[]> list) {
    long ok = list.stream().filter(t -> t[2] == 1).count();
    long[] okTimes = list.stream().filter(t -> t[2] == 1).mapToLong(t -> t[1] - t[0]).sorted().toArray();
    long first = list.stream().mapToLong(t -> t[1]).min().orElse(0);
    long last = list.stream().mapToLong(t -> t[1]).max().orElse(0);
    double span = Math.max(1, last - first) / 1000.0;
    return new Figures(ok, list.size() - ok, list.size() > 1 ? list.size() / span : 0,
        percentile(okTimes, 50), percentile(okTimes, 99), okTimes.length == 0 ? 0 : okTimes[okTimes.length - 1]);
  }

  // nearest rank, the way Gatling's report reads for whole milliseconds
  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static void print(List<Run> runs) {
    List<String> names = new ArrayList<>();
    runs.forEach(run -> run.requests.keySet().stream().filter(n -> !names.contains(n)).forEach(names::add));
    int width = Math.max(24, names.stream().mapToInt(String::length).max().orElse(0) + 2);
    int labelWidth = runs.stream().mapToInt(r -> r.label.length()).max().orElse(8) + 2;
    String header = String.format(Locale.ROOT, "%-" + width + "s%-" + labelWidth + "s%9s %6s %10s %7s %7s %7s",
        "request", "target", "OK", "KO", "per s", "p50 ms", "p99 ms", "max ms");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    for (String name : names) {
      boolean first = true;
      for (Run run : runs) {
        Figures f = run.requests.get(name);
        String left = first ? name : "";
        first = false;
        if (f == null) {
          System.out.printf(Locale.ROOT, "%-" + width + "s%-" + labelWidth + "s%9s%n", left, run.label, "-");
          continue;
        }
        System.out.printf(Locale.ROOT, "%-" + width + "s%-" + labelWidth + "s%9d %6d %10.0f %7d %7d %7d%n", left,
            run.label, f.ok, f.ko, f.perSecond, f.p50, f.p99, f.max);
      }
    }
    runs.stream().sorted(Comparator.comparing(Run::label)).forEach(run -> System.out.printf(Locale.ROOT,
        "peak concurrent virtual users, %s: %d%n", run.label, run.peakUsers));
  }
}
