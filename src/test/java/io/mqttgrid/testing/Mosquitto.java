package io.mqttgrid.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Mosquitto broker (Debian's {@code mosquitto} package) in a child process, for tests that
 * check interoperability with a broker that is not MQTT Grid. Tests that need one skip, visibly,
 * where it is not installed ({@link #available()}); {@code .ci/run} installs it.
 */
public final class Mosquitto implements AutoCloseable {

  private static final List<Path> BINARIES =
      List.of(Path.of("/usr/sbin/mosquitto"), Path.of("/usr/bin/mosquitto"));

  private final Process process;
  private final Path log;

  private Mosquitto(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Whether the mosquitto broker and mosquitto_passwd are installed here. */
  public static boolean available() {
    return binary() != null && Files.isExecutable(Path.of("/usr/bin/mosquitto_passwd"));
  }

  private static Path binary() {
    return BINARIES.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  /** Writes a password file of {@code user} with {@code password} (hashed by mosquitto_passwd). */
  public static Path passwordFile(Path dir, String user, String password) throws Exception {
    Path file = dir.resolve("mosquitto.passwd");
    Process p =
        new ProcessBuilder("/usr/bin/mosquitto_passwd", "-c", "-b", file.toString(), user, password)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("mosquitto_passwd failed: " + out);
    }
    return file;
  }

  /**
   * Starts Mosquitto with {@code config} (mosquitto.conf lines) in {@code dir}, and waits until
   * every port in {@code ports} accepts connections.
   */
  public static Mosquitto start(Path dir, String config, int... ports) throws Exception {
    Path conf = dir.resolve("mosquitto.conf");
    // started as root, Mosquitto would switch to the user "mosquitto", who cannot read the test's
    // files: it stays the user the tests run as
    Files.writeString(conf, "user " + System.getProperty("user.name") + "\n" + config);
    Path log = dir.resolve("mosquitto.log");
    Process process =
        new ProcessBuilder(binary().toString(), "-c", conf.toString(), "-v")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    Mosquitto m = new Mosquitto(process, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (int port : ports) {
      while (!accepts(port)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          m.close();
          throw new IllegalStateException(
              "mosquitto did not start: " + Files.readString(log, StandardCharsets.UTF_8));
        }
        Thread.sleep(50);
      }
    }
    return m;
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** What Mosquitto logged so far (for assertion messages). */
  public String log() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
