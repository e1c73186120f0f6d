package io.mqttgrid.persistence;

import io.mqttgrid.testing.TestDatabases;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Not a test: a measurement to run by hand. Session records (150 bytes, client ids as a connect
 * storm's) written to the embedded H2 file by several threads at once, as Hazelcast's map-store
 * threads do in a persistent connect storm: this process's CPU time per record write (and that of
 * the writer threads alone: the rest is the JIT, GC and H2's other threads), H2's writes to its
 * file (one per commit that found changes to store) per record write, and the file's size and fill
 * rate after the storm. Each run preloads the table as earlier storms would have, and warms the JIT
 * up with 10,000 writes ({@code -Dbench.warmup}).
 *
 * <p>{@code java ... io.mqttgrid.persistence.SessionRecordWriteBenchmark [threads] [writes]
 * [preloaded] [rounds]} (default 16 20000 20000 3); e.g. after {@code mvn -B -q test-compile
 * dependency:build-classpath -Dmdep.outputFile=target/cp.txt}: {@code java -cp
 * target/test-classes:target/classes:$(cat target/cp.txt)
 * io.mqttgrid.persistence.SessionRecordWriteBenchmark 16 20000 20000 2}.
 */
public final class SessionRecordWriteBenchmark {

  private SessionRecordWriteBenchmark() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int writes = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
    int preloaded = args.length > 2 ? Integer.parseInt(args[2]) : 20000;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    for (int r = 1; r <= rounds; r++) {
      run(threads, writes, preloaded, r);
    }
  }

  private static void run(int threads, int writes, int preloaded, int round) throws Exception {
    Path dir = Files.createTempDirectory("session-record-bench");
    try {
      measure(dir, threads, writes, preloaded, round);
    } finally {
      // the file reaches gigabytes in a long run
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static void measure(Path dir, int threads, int writes, int preloaded, int round)
      throws Exception {
    try (StateDatabase db = StateDatabase.open(TestDatabases.embedded(dir, 10))) {
      SessionTable records = SessionTable.records(db);
      byte[] value = new byte[150];
      Map<String, byte[]> old = new HashMap<>();
      for (int i = 0; i < preloaded; i++) {
        old.put("warm-" + i, value);
        if (old.size() == 500) {
          records.putAll(old);
          old.clear();
        }
      }
      records.putAll(old);
      // JIT warm-up on this database, not counted
      storm(records, threads, Integer.getInteger("bench.warmup", 10000), "jit", value);
      long files0 = fileWrites(db);

      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      storm(records, threads, writes, "device", value);
      long cpu = os.getProcessCpuTime() - cpu0;
      long wall = System.nanoTime() - t0;
      long files = fileWrites(db) - files0;

      System.out.printf(
          Locale.ROOT,
          "round %d: %d writes on %d threads, %.1f us CPU per write (%.1f in the writer"
              + " threads), %.3f file writes per write, %.0f writes/s (load average %s)%n",
          round,
          writes,
          threads,
          cpu / 1000.0 / writes,
          writerCpu.get() / 1000.0 / writes,
          (double) files / writes,
          writes * 1e9 / wall,
          Files.readString(Path.of("/proc/loadavg")).trim());
      System.out.printf(
          Locale.ROOT,
          "  the H2 file: %s chunks, %s MiB, fill rate %s %%%n",
          info(db, "info.CHUNK_COUNT"),
          Long.parseLong(info(db, "info.FILE_SIZE")) >> 20,
          info(db, "info.FILL_RATE"));
    }
  }

  /** CPU time of the writer threads of the last storm, in nanoseconds. */
  private static final java.util.concurrent.atomic.AtomicLong writerCpu =
      new java.util.concurrent.atomic.AtomicLong();

  private static void storm(SessionTable records, int threads, int writes, String prefix, byte[] v)
      throws InterruptedException {
    writerCpu.set(0);
    AtomicInteger next = new AtomicInteger();
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th =
          new Thread(
              () -> {
                long c0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                for (int i = next.getAndIncrement(); i < writes; i = next.getAndIncrement()) {
                  records.put(prefix + "-" + i, v);
                }
                writerCpu.addAndGet(
                    ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - c0);
              });
      th.start();
      all.add(th);
    }
    for (Thread th : all) {
      th.join();
    }
  }

  private static String info(StateDatabase db, String name) throws Exception {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = '"
                    + name
                    + "'")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long fileWrites(StateDatabase db) throws Exception {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'info.FILE_WRITE'")) {
      rs.next();
      return Long.parseLong(rs.getString(1));
    }
  }
}
