// CPU of the route table's writes alone, without sockets, MQTT or a load generator: a one-member cluster (a node
// alone, as in connection-scale.sh) whose route table gets ROUTES new filters at PER_MS a millisecond (a connect
// storm's SUBSCRIBEs), then loses them at the same pace (its disconnects). Prints the process CPU per route
// (announced + withdrawn), less what the same pacing costs with nothing to do, for each of ROUNDS rounds, and
// the threads' context switches per route (Linux /proc), likewise.
// Runs from source against any build of the broker, so a jar from before a change can be measured the same way:
//
//   java -cp target/mqttgrid.jar load-tests/scripts/RouteWriteCost.java [ROUTES=20000] [PER_MS=2] [ROUNDS=4]
//
// The first round warms up the JIT; compare the later ones.
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.mqttgrid.BrokerConfig;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

public class RouteWriteCost {

  public static void main(String[] args) throws Exception {
    int routes = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int perMs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    String node = "route-cost-" + UUID.randomUUID();
    Vertx vertx = Vertx.vertx();
    HazelcastInstance hz =
        Hazelcast.newHazelcastInstance(
            HazelcastConfigFactory.create(BrokerConfig.of(Map.of("node.id", node))));
    HazelcastRouteTable table = new HazelcastRouteTable(vertx, hz, node, 2_000);
    table.liveNodes(Set.of(node));
    IMap<String, String> map = hz.getMap(HazelcastRouteTable.MAP);
    for (int round = 1; round <= rounds; round++) {
      String prefix = "devices/r" + round + "/d";
      long cpu0 = cpu();
      long switches0 = contextSwitches();
      long wall0 = System.nanoTime();
      paced(vertx, routes, perMs, i -> table.announce(prefix + i + "/commands"));
      waitFor(() -> map.size() == routes);
      paced(vertx, routes, perMs, i -> table.withdraw(prefix + i + "/commands"));
      waitFor(() -> map.isEmpty());
      long cpu = cpu() - cpu0;
      long switches = contextSwitches() - switches0;
      long wall = System.nanoTime() - wall0;
      // the same pacing with nothing to do: the timers, Hazelcast's own background work
      long idle0 = cpu();
      long idleSwitches0 = contextSwitches();
      paced(vertx, routes, perMs, i -> {});
      paced(vertx, routes, perMs, i -> {});
      long idle = cpu() - idle0;
      long idleSwitches = contextSwitches() - idleSwitches0;
      System.out.printf(
          "round %d: %d routes in %.1f s, %.1f us of CPU per route announced and withdrawn"
              + " (%.1f with the pacing's own %.1f), %.1f thread switches per route%n",
          round,
          routes,
          wall / 1e9,
          (cpu - idle) / 1e3 / routes,
          cpu / 1e3 / routes,
          idle / 1e3 / routes,
          (switches - idleSwitches) / (double) routes);
    }
    table.close();
    hz.shutdown();
    vertx.close();
  }

  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Context switches of all the process's threads so far (Linux), or 0 where /proc has none. */
  private static long contextSwitches() {
    long sum = 0;
    java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
    if (tasks == null) {
      return 0;
    }
    for (java.io.File task : tasks) {
      try {
        for (String line : java.nio.file.Files.readAllLines(new java.io.File(task, "status").toPath())) {
          if (line.contains("ctxt_switches:")) {
            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        // a thread that ended meanwhile
      }
    }
    return sum;
  }

  /** Calls {@code step} for 0..n-1 on an event loop, perMs of them each millisecond. */
  private static void paced(Vertx vertx, int n, int perMs, IntConsumer step) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    int[] next = {0};
    vertx.runOnContext(
        v ->
            vertx.setPeriodic(
                1,
                t -> {
                  for (int k = 0; k < perMs && next[0] < n; k++) {
                    step.accept(next[0]++);
                  }
                  if (next[0] == n) {
                    vertx.cancelTimer(t);
                    done.complete(null);
                  }
                }));
    done.join();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the route table did not get there in 2 minutes");
      }
      Thread.sleep(20);
    }
  }
}
