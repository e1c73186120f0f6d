package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Through a bridge: one MQTT 5 publisher on one broker (the edge, {@code --pub-port}, topic {@code --in}), one
 * subscriber on another (the remote, {@code --sub-port}, topic {@code --out}), on loopback. Prints the messages
 * per second that reach the subscriber and the latency from send to arrival (p50, p99: both clients are in this
 * JVM, so one clock). The window is end to end: a message leaves it when the subscriber has it. With
 * {@code --window 1} each message goes alone, so the latency is the path's own; with a large window it is
 * mostly time spent waiting in queues. {@code --sub-port} equal to {@code --pub-port} and {@code --in} equal to
 * {@code --out} measure one broker without a bridge, the baseline.
 *
 * <pre>mvn -q -f load-tests/pom.xml compile exec:java -Dexec.mainClass=io.mqttgrid.load.BridgeThroughput \
 *   -Dexec.args="--pub-port 18841 --in bench/in --sub-port 18842 --out grid/in --qos 1 --messages 100000"</pre>
 */
public final class BridgeThroughput {

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (Exception e) {
      System.err.println("failed: " + (e.getCause() != null ? e.getCause() : e));
      status = 1;
    }
    System.exit(status);
  }

  private static int run(String[] args) throws Exception {
    int pubPort = 1883;
    int subPort = 1883;
    String in = "bench/in";
    String out = "bench/in";
    int qos = 0;
    int messages = 100_000;
    int size = 64;
    int window = 1000;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--pub-port" -> pubPort = Integer.parseInt(args[i + 1]);
        case "--sub-port" -> subPort = Integer.parseInt(args[i + 1]);
        case "--in" -> in = args[i + 1];
        case "--out" -> out = args[i + 1];
        case "--qos" -> qos = Integer.parseInt(args[i + 1]);
        case "--messages" -> messages = Integer.parseInt(args[i + 1]);
        case "--size" -> size = Integer.parseInt(args[i + 1]);
        case "--window" -> window = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    MqttQos q = MqttQos.fromCode(qos);
    int total = messages;
    long[] latencies = new long[messages];
    CountDownLatch done = new CountDownLatch(messages);
    Semaphore inFlight = new Semaphore(window);
    Mqtt5AsyncClient sub = MqttClient.builder().useMqttVersion5().serverHost("127.0.0.1").serverPort(subPort)
        .identifier("bench-bridge-sub-" + System.nanoTime()).buildAsync();
    sub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
    sub.subscribeWith().topicFilter(out).qos(q).callback(p -> {
      long sent = ByteBuffer.wrap(p.getPayloadAsBytes()).getLong();
      int n = (int) (total - done.getCount());
      if (n < latencies.length) {
        latencies[n] = System.nanoTime() - sent;
      }
      done.countDown();
      inFlight.release();
    }).send().get(10, TimeUnit.SECONDS);
    Mqtt5AsyncClient pub = MqttClient.builder().useMqttVersion5().serverHost("127.0.0.1").serverPort(pubPort)
        .identifier("bench-bridge-pub-" + System.nanoTime()).buildAsync();
    pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);

    long start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
        break; // messages are being lost: stop and report
      }
      byte[] payload = new byte[Math.max(size, 8)];
      ByteBuffer.wrap(payload).putLong(System.nanoTime());
      pub.publishWith().topic(in).qos(q).payload(payload).send();
    }
    boolean complete = done.await(30, TimeUnit.SECONDS);
    long end = System.nanoTime();
    int received = (int) (messages - done.getCount());
    double seconds = (end - start) / 1e9;
    long[] sorted = Arrays.copyOf(latencies, Math.min(received, latencies.length));
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "qos %d window %d: %d/%d messages in %.2f s = %.0f msg/s, latency p50 %.2f ms"
            + " p99 %.2f ms%s%n", qos, window, received, messages, seconds, received / seconds,
        percentile(sorted, 0.50), percentile(sorted, 0.99), complete ? "" : " INCOMPLETE");
    pub.disconnect().get(10, TimeUnit.SECONDS);
    sub.disconnect().get(10, TimeUnit.SECONDS);
    return complete ? 0 : 1;
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }
}
