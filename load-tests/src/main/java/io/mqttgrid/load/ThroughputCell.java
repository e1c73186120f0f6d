package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * One cell of the broker throughput table (load-tests/scripts/throughput-table.sh): publishers and
 * subscribers in one of three shapes, at one QoS, over MQTT 5 or 3.1.1, with clean or persistent
 * subscriber sessions; either as fast as the broker delivers (peak) or at a fixed rate with the
 * end-to-end latency of every delivery (latency).
 *
 * <ul>
 *   <li>{@code --shape pairs --pairs N}: N publishers, each to its own subscriber on its own topic;
 *   <li>{@code --shape fanin --clients N}: N publishers on N topics, one subscriber to all of them;
 *   <li>{@code --shape fanout --clients N}: one publisher, N subscribers to its topic.
 * </ul>
 *
 * <p>Peak ({@code --deliveries}, the total over all subscribers): each subscriber has at most
 * {@code --window} messages under way to it (a message leaves the window when the subscriber has
 * it), so no broker has to drop or queue much to keep up, and the figure is deliveries per second
 * from the first publish to the last delivery. Latency ({@code --rate} deliveries/s for {@code
 * --seconds}): each publisher sends on a fixed schedule, whatever the broker does, and stamps each
 * payload with the time it was due (so a stalled broker shows in the latency instead of slowing the
 * schedule); the first {@code --skip-seconds} are left out (this JVM's own JIT warm-up). With
 * {@code TIMELINE_MS} set in the environment, a latency run also prints its shape slice by slice
 * ({@link Timeline}). {@code --warmup-seconds W}: before the schedule, the publishers send W
 * seconds of it that are not measured, and more while this JVM is still compiling, and the
 * schedule starts once they have all arrived (the generator's JIT and buffers are warm then; see
 * {@code warmUntilCompiled}).
 *
 * <p>Each payload also carries the message's number, so a run counts what each subscriber got by
 * message, not by delivery: a message delivered twice is counted once and reported (DUPLICATES),
 * and the run waits for every message rather than for as many deliveries as were expected (a
 * broker that delivered one message twice and another never once passed as complete).
 *
 * <p>{@code --persistent true}: the subscribers' sessions outlive their connections (MQTT 3.1.1
 * Clean Session 0, MQTT 5 Session Expiry Interval 3,600 s), so a broker stores each QoS 1 message
 * in the session; they are ended at the end of the run.
 */
public final class ThroughputCell {

  /** One MQTT 5 or 3.1.1 client, as far as this tool uses it. */
  private interface Client {
    CompletableFuture<?> subscribe(String filter, MqttQos qos, BiConsumer<String, ByteBuffer> cb);

    CompletableFuture<?> publish(String topic, MqttQos qos, byte[] payload);

    void end() throws Exception;
  }

  private ThroughputCell() {}

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
    String host = "127.0.0.1";
    int port = 1883;
    String shape = "pairs";
    int clients = 4;
    int qos = 0;
    int version = 5;
    boolean persistent = false;
    long deliveries = 200_000;
    int size = 64;
    int window = 1000;
    double rate = 0;
    double seconds = 6;
    double skipSeconds = 1;
    double warmupSeconds = 0;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--shape" -> shape = args[i + 1];
        case "--pairs", "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--qos" -> qos = Integer.parseInt(args[i + 1]);
        case "--mqtt" -> version = Integer.parseInt(args[i + 1]);
        case "--persistent" -> persistent = Boolean.parseBoolean(args[i + 1]);
        case "--deliveries" -> deliveries = Long.parseLong(args[i + 1]);
        case "--size" -> size = Integer.parseInt(args[i + 1]);
        case "--window" -> window = Integer.parseInt(args[i + 1]);
        case "--rate" -> rate = Double.parseDouble(args[i + 1]);
        case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
        case "--skip-seconds" -> skipSeconds = Double.parseDouble(args[i + 1]);
        case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (size < 16) {
      throw new IllegalArgumentException(
          "--size below 16: the payload carries a time stamp and the message's number");
    }
    int publishers =
        switch (shape) {
          case "pairs", "fanin" -> clients;
          case "fanout" -> 1;
          default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
    int subscribers = shape.equals("fanin") ? 1 : clients;
    // how many subscribers get each publish
    int copies = shape.equals("fanout") ? clients : 1;
    MqttQos q = MqttQos.fromCode(qos);
    String run = Long.toString(System.nanoTime(), 36);
    String base = "bench/cell/" + run + "/";

    // topics: pairs, a topic per pair; fan-in, one per publisher under one filter; fan-out, one
    String[] topics = new String[publishers];
    for (int p = 0; p < publishers; p++) {
      topics[p] = base + p;
    }
    Map<String, Integer> publisherOf = new HashMap<>();
    for (int p = 0; p < publishers; p++) {
      publisherOf.put(topics[p], p);
    }

    boolean latencyMode = rate > 0;
    // publishes per publisher
    long perPublisher =
        latencyMode
            ? Math.max(1, Math.round(rate * seconds / copies / publishers))
            : Math.max(1, deliveries / copies / publishers);
    long expected = perPublisher * publishers * copies;
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    // at most `window` messages under way to each subscriber: per publisher, a share of its
    // subscriber's window (fan-in) or one window whose publishes each take `copies` permits
    int permitsPerPublisher = shape.equals("fanin") ? Math.max(1, window / publishers) : window;
    Semaphore[] inFlight = new Semaphore[publishers];
    for (int p = 0; p < publishers; p++) {
      inFlight[p] = new Semaphore(permitsPerPublisher * copies);
    }
    long[] latencies = latencyMode ? new long[(int) Math.min(expected, 50_000_000)] : null;
    // how late each publish was handed to the client, by message number: the part of the latency
    // that is this generator's own (its publisher threads waiting for a CPU), not the broker's
    long[] callLateness =
        latencyMode ? new long[(int) Math.min(perPublisher * publishers, 50_000_000)] : null;
    AtomicInteger lateSamples = new AtomicInteger();
    // TIMELINE_MS: the latency run's shape, per slice of the schedule (a few stalls or a queue)
    long timelineNanos = latencyMode ? timelineNanos() : 0;
    Timeline timeline =
        timelineNanos > 0 ? new Timeline(latencies.length, perPublisher * publishers) : null;
    boolean acknowledged = qos > 0;
    AtomicInteger samples = new AtomicInteger();
    long skipNanos = (long) (skipSeconds * 1e9);
    long[] scheduleStart = new long[1];

    // each message's copies that arrived, per subscriber (a message is numbered by its publisher):
    // a duplicate (or a payload that names no message) is counted apart, so the run waits for
    // every message rather than for a count
    int messages = (int) (perPublisher * publishers);
    int subscriberCount = subscribers;
    AtomicIntegerArray arrivals = new AtomicIntegerArray(messages * subscriberCount);
    AtomicLong duplicates = new AtomicLong();
    AtomicLong warmArrivals = new AtomicLong();
    IntFunction<BiConsumer<String, ByteBuffer>> onMessageTo =
        subscriber -> (topic, payload) -> {
          long now = System.nanoTime();
          long number = payload.getLong(payload.position() + 8);
          if (number == WARMUP_MESSAGE) {
            warmArrivals.incrementAndGet();
            return;
          }
          if (number < 0 || number >= messages) {
            duplicates.incrementAndGet(); // no message of this run: a payload not as sent
            return;
          }
          if (arrivals.incrementAndGet((int) number * subscriberCount + subscriber) > 1) {
            duplicates.incrementAndGet();
            return;
          }
          if (latencyMode) {
            long due = payload.getLong(payload.position());
            if (timeline != null) {
              timeline.delivered(due - scheduleStart[0], now - scheduleStart[0]);
            }
            if (due - scheduleStart[0] >= skipNanos) {
              int i = samples.getAndIncrement();
              if (i < latencies.length) {
                latencies[i] = now - due;
              }
            }
          } else {
            Integer p = publisherOf.get(topic);
            if (p != null) {
              inFlight[p].release();
            }
          }
          if (received.incrementAndGet() == expected) {
            done.countDown();
          }
        };

    List<Client> subs = new ArrayList<>();
    List<Client> pubs = new ArrayList<>();
    try {
      for (int s = 0; s < subscribers; s++) {
        Client sub = connect(host, port, version, "cell-sub-" + run + "-" + s, persistent);
        subs.add(sub);
        String filter = shape.equals("fanin") ? base + "+" : topics[shape.equals("pairs") ? s : 0];
        sub.subscribe(filter, q, onMessageTo.apply(s)).get(10, TimeUnit.SECONDS);
      }
      for (int p = 0; p < publishers; p++) {
        pubs.add(connect(host, port, version, "cell-pub-" + run + "-" + p, false));
      }

      int publisherCount = publishers;
      double perPublisherRate = rate / copies / publishers;
      int payloadSize = size;
      long warmupPerPublisher =
          latencyMode ? Math.round(perPublisherRate * warmupSeconds) : 0;
      double warmedSeconds = 0;
      if (warmupPerPublisher > 0) {
        warmedSeconds =
            warmUntilCompiled(
                pubs,
                topics,
                q,
                perPublisherRate,
                warmupSeconds,
                payloadSize,
                warmArrivals,
                copies);
      }

      long start = System.nanoTime();
      scheduleStart[0] = start;
      long startMillis = System.currentTimeMillis();
      List<Thread> threads = new ArrayList<>();
      for (int p = 0; p < publishers; p++) {
        int me = p;
        Client pub = pubs.get(p);
        Thread t =
            new Thread(
                () -> {
                  for (long i = 0; i < perPublisher; i++) {
                    long due;
                    if (latencyMode) {
                      due = start + (long) (i * 1e9 / perPublisherRate);
                      long wait = due - System.nanoTime();
                      if (wait > 20_000) {
                        LockSupport.parkNanos(wait);
                      }
                    } else {
                      try {
                        if (!inFlight[me].tryAcquire(copies, 5, TimeUnit.SECONDS)) {
                          return; // messages are being lost: stop, the run reports what arrived
                        }
                      } catch (InterruptedException e) {
                        return;
                      }
                      due = System.nanoTime();
                    }
                    byte[] body = new byte[payloadSize];
                    ByteBuffer.wrap(body).putLong(0, due).putLong(8, me * perPublisher + i);
                    if (latencyMode && due - start >= skipNanos) {
                      int k = lateSamples.getAndIncrement();
                      if (k < callLateness.length) {
                        callLateness[k] = System.nanoTime() - due;
                      }
                    }
                    CompletableFuture<?> sent = pub.publish(topics[me], q, body);
                    if (timeline != null && acknowledged) {
                      int slot = (int) (me * perPublisher + i);
                      long dueAt = due;
                      sent.whenComplete(
                          (r, e) -> timeline.acknowledged(slot, System.nanoTime() - dueAt));
                    }
                  }
                },
                "publisher-" + p);
        t.setDaemon(true);
        threads.add(t);
      }
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      long published = System.nanoTime();
      // wait until everything arrived or nothing more arrives for five seconds
      long last = -1;
      while (!done.await(5, TimeUnit.SECONDS)) {
        long now = received.get();
        if (now == last) {
          break;
        }
        last = now;
      }
      long end = System.nanoTime();
      long got = received.get();
      boolean complete = got == expected;
      String duplicated =
          duplicates.get() == 0
              ? ""
              : String.format(Locale.ROOT, " DUPLICATES %d", duplicates.get());
      double elapsed = (end - start) / 1e9;
      String what =
          String.format(
              Locale.ROOT,
              "%s %d qos %d mqtt %s %s",
              shape,
              clients,
              qos,
              version == 5 ? "5" : "3.1.1",
              persistent ? "persistent" : "clean");
      if (!latencyMode) {
        System.out.printf(
            Locale.ROOT,
            "%s: %d/%d deliveries in %.2f s = %.0f deliveries/s (publish side %.0f msg/s)%s%s%n",
            what,
            got,
            expected,
            elapsed,
            got / elapsed,
            perPublisher * publisherCount / ((published - start) / 1e9),
            duplicated,
            complete ? "" : " INCOMPLETE");
      } else {
        int n = Math.min(samples.get(), latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        long[] lateness =
            Arrays.copyOf(callLateness, Math.min(lateSamples.get(), callLateness.length));
        Arrays.sort(lateness);
        System.out.printf(
            Locale.ROOT,
            "%s: at %.0f deliveries/s for %.1f s: %d/%d delivered; latency p50 %.2f ms p99 %.2f ms"
                + " max %.2f ms (%d samples after the first %.1f s%s; publish handed to the client"
                + " after its due time: median %.2f ms, 99th percentile %.2f ms)%s%s%n",
            what,
            rate,
            seconds,
            got,
            expected,
            percentile(sorted, 0.50),
            percentile(sorted, 0.99),
            n == 0 ? 0.0 : sorted[n - 1] / 1e6,
            n,
            skipSeconds,
            warmupPerPublisher > 0
                ? String.format(
                    Locale.ROOT,
                    ", after a warm-up of %.1f s at the same rate, until this generator's JIT"
                        + " compiler was quiet",
                    warmedSeconds)
                : "",
            percentile(lateness, 0.50),
            percentile(lateness, 0.99),
            duplicated,
            complete ? "" : " INCOMPLETE");
        if (timeline != null) {
          timeline.print(timelineNanos, perPublisher, perPublisherRate, qos > 0, startMillis);
        }
      }
      return complete ? 0 : 1;
    } finally {
      for (Client c : pubs) {
        end(c);
      }
      for (Client c : subs) {
        end(c);
      }
    }
  }

  /** Marks a warm-up message: not one of the run's. */
  private static final long WARMUP_MESSAGE = -1;

  /** How much longer than {@code --warmup-seconds} a warm-up may go on for the JIT compiler. */
  private static final double MAX_EXTRA_WARMUP_SECONDS = 10;

  /**
   * The warm-up: {@code seconds} of the schedule, then more half-second rounds while this JVM's JIT
   * compiler took more than a tenth of the last round (at most {@link #MAX_EXTRA_WARMUP_SECONDS}
   * more), each round's messages arrived before the next. A fresh generator JVM compiles for
   * several seconds at up to a core: on a machine it shares with the broker, a schedule that started
   * then took that core from the broker, and a broker that needs CPU for its stores (MQTT Grid's
   * persistent sessions) stalled for 1 to 2 s where one that needs little (Mosquitto) did not.
   * Returns the seconds sent.
   */
  private static double warmUntilCompiled(
      List<Client> pubs,
      String[] topics,
      MqttQos q,
      double perPublisherRate,
      double seconds,
      int payloadSize,
      AtomicLong arrivals,
      int deliveriesPerMessage)
      throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long expected = 0;
    double sent = 0;
    double round = seconds;
    while (true) {
      long perPublisher = Math.max(1, Math.round(perPublisherRate * round));
      long compiledBefore = jit.getTotalCompilationTime();
      long roundStart = System.nanoTime();
      warmUp(pubs, topics, q, perPublisherRate, perPublisher, payloadSize);
      expected += perPublisher * pubs.size() * deliveriesPerMessage;
      awaitWarmArrivals(arrivals, expected);
      sent += round;
      double roundMillis = (System.nanoTime() - roundStart) / 1e6;
      long compiledMillis = jit.getTotalCompilationTime() - compiledBefore;
      if (compiledMillis <= roundMillis / 10 || sent >= seconds + MAX_EXTRA_WARMUP_SECONDS) {
        return sent;
      }
      round = 0.5;
    }
  }

  /**
   * The generator's own warm-up before a latency run: each publisher sends on the run's schedule,
   * for its first seconds, messages that are not measured. A fresh JVM's first second of publishing
   * and receiving (its JIT, the client's first buffers) stalled the schedule by up to a second with
   * either broker, and the messages due meanwhile then queued behind it: the p99 of the seconds
   * measured was how fast a broker drained that backlog, not its latency.
   */
  private static void warmUp(
      List<Client> pubs,
      String[] topics,
      MqttQos q,
      double perPublisherRate,
      long perPublisher,
      int payloadSize)
      throws InterruptedException {
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < pubs.size(); p++) {
      Client pub = pubs.get(p);
      String topic = topics[p];
      Thread t =
          new Thread(
              () -> {
                for (long i = 0; i < perPublisher; i++) {
                  long due = start + (long) (i * 1e9 / perPublisherRate);
                  long wait = due - System.nanoTime();
                  if (wait > 20_000) {
                    LockSupport.parkNanos(wait);
                  }
                  byte[] body = new byte[payloadSize];
                  ByteBuffer.wrap(body).putLong(0, due).putLong(8, WARMUP_MESSAGE);
                  pub.publish(topic, q, body);
                }
              },
              "warm-up-" + p);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
  }

  /**
   * Waits until the warm-up's messages all arrived (or none more for five seconds), so that the
   * run starts with nothing queued.
   */
  private static void awaitWarmArrivals(AtomicLong arrived, long expected)
      throws InterruptedException {
    long last = -1;
    long lastChange = System.nanoTime();
    while (arrived.get() < expected) {
      long now = arrived.get();
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > 5_000_000_000L) {
        System.err.printf(
            Locale.ROOT, "warm-up: %d of %d messages arrived; run started anyway%n", now, expected);
        return;
      }
      Thread.sleep(10);
    }
  }

  private static long timelineNanos() {
    String ms = System.getenv("TIMELINE_MS");
    return ms == null || ms.isBlank() ? 0 : (long) (Double.parseDouble(ms) * 1e6);
  }

  /**
   * A latency run slice by slice of its schedule: for the messages due in each slice, how many
   * arrived and their latency, how many deliveries arrived in it (whatever their due time), and,
   * at QoS 1/2, how long the publishers waited for their acknowledgements. A stall shows as a
   * slice where nothing arrives and the latency of the messages due before it jumps; a broker
   * slower than the schedule as a latency that grows slice after slice.
   */
  private static final class Timeline {
    private final AtomicInteger count = new AtomicInteger();
    private final long[] dueOffset;
    private final long[] arrivalOffset;
    private final long[] ackLatency;

    Timeline(int samples, long publishes) {
      dueOffset = new long[samples];
      arrivalOffset = new long[samples];
      ackLatency = new long[(int) Math.min(publishes, 50_000_000)];
      Arrays.fill(ackLatency, -1);
    }

    void delivered(long due, long arrived) {
      int sample = count.getAndIncrement();
      if (sample < dueOffset.length) {
        dueOffset[sample] = due;
        arrivalOffset[sample] = arrived;
      }
    }

    void acknowledged(int slot, long latency) {
      if (slot < ackLatency.length) {
        ackLatency[slot] = latency;
      }
    }

    void print(
        long slice, long perPublisher, double perPublisherRate, boolean acks, long startMillis) {
      int samples = Math.min(count.get(), dueOffset.length);
      long last = 0;
      for (int i = 0; i < samples; i++) {
        last = Math.max(last, Math.max(dueOffset[i], arrivalOffset[i]));
      }
      int slices = (int) (last / slice) + 1;
      List<List<Long>> byDue = new ArrayList<>();
      List<List<Long>> acksByDue = new ArrayList<>();
      long[] arrivals = new long[slices];
      for (int s = 0; s < slices; s++) {
        byDue.add(new ArrayList<>());
        acksByDue.add(new ArrayList<>());
      }
      for (int i = 0; i < samples; i++) {
        byDue.get((int) (dueOffset[i] / slice)).add(arrivalOffset[i] - dueOffset[i]);
        arrivals[(int) (arrivalOffset[i] / slice)]++;
      }
      for (int slot = 0; slot < ackLatency.length; slot++) {
        if (ackLatency[slot] >= 0) {
          long due = (long) ((slot % perPublisher) * 1e9 / perPublisherRate);
          int s = (int) (due / slice);
          if (s < slices) {
            acksByDue.get(s).add(ackLatency[slot]);
          }
        }
      }
      System.out.printf(
          Locale.ROOT,
          "timeline (slices of %.0f ms of the schedule, which started at %d ms since the epoch; latency"
              + " ms of the messages due in the slice; arrived: deliveries that arrived in the slice)%n",
          slice / 1e6,
          startMillis);
      System.out.printf(
          Locale.ROOT,
          "%8s %7s %7s %9s %9s %9s%s%n",
          "t ms",
          "due",
          "arrived",
          "p50",
          "p99",
          "max",
          acks ? String.format(Locale.ROOT, " %9s %9s", "ack p50", "ack max") : "");
      for (int s = 0; s < slices; s++) {
        long[] lat = byDue.get(s).stream().mapToLong(Long::longValue).sorted().toArray();
        long[] ack = acksByDue.get(s).stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
            Locale.ROOT,
            "%8d %7d %7d %9.2f %9.2f %9.2f%s%n",
            s * slice / 1_000_000,
            lat.length,
            arrivals[s],
            percentile(lat, 0.5),
            percentile(lat, 0.99),
            lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6,
            acks
                ? String.format(
                    Locale.ROOT,
                    " %9.2f %9.2f",
                    percentile(ack, 0.5),
                    ack.length == 0 ? Double.NaN : ack[ack.length - 1] / 1e6)
                : "");
      }
    }
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static void end(Client c) {
    try {
      c.end();
    } catch (Exception e) {
      System.err.println("disconnect: " + e);
    }
  }

  private static Client connect(String host, int port, int version, String id, boolean persistent)
      throws Exception {
    if (version == 5) {
      Mqtt5AsyncClient c =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier(id)
              .serverHost(host)
              .serverPort(port)
              .addDisconnectedListener(ThroughputCell::reportUnexpected)
              .buildAsync();
      c.connectWith()
          .cleanStart(true)
          .sessionExpiryInterval(persistent ? 3600 : 0)
          .send()
          .get(10, TimeUnit.SECONDS);
      return new Client() {
        @Override
        public CompletableFuture<?> subscribe(
            String filter, MqttQos qos, BiConsumer<String, ByteBuffer> cb) {
          return c.subscribeWith()
              .topicFilter(filter)
              .qos(qos)
              .callback(
                  m ->
                      cb.accept(
                          m.getTopic().toString(), m.getPayload().orElse(ByteBuffer.allocate(8))))
              .send();
        }

        @Override
        public CompletableFuture<?> publish(String topic, MqttQos qos, byte[] payload) {
          return c.publishWith().topic(topic).qos(qos).payload(payload).send();
        }

        @Override
        public void end() throws Exception {
          // a persistent session ends with its connection: Session Expiry 0 on DISCONNECT
          c.disconnectWith().sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
        }
      };
    }
    Mqtt3AsyncClient c =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(id)
            .serverHost(host)
            .serverPort(port)
            .addDisconnectedListener(ThroughputCell::reportUnexpected)
            .buildAsync();
    c.connectWith().cleanSession(!persistent).send().get(10, TimeUnit.SECONDS);
    return new Client() {
      @Override
      public CompletableFuture<?> subscribe(
          String filter, MqttQos qos, BiConsumer<String, ByteBuffer> cb) {
        return c.subscribeWith()
            .topicFilter(filter)
            .qos(qos)
            .callback(
                m ->
                    cb.accept(
                        m.getTopic().toString(), m.getPayload().orElse(ByteBuffer.allocate(8))))
            .send();
      }

      @Override
      public CompletableFuture<?> publish(String topic, MqttQos qos, byte[] payload) {
        return c.publishWith().topic(topic).qos(qos).payload(payload).send();
      }

      @Override
      public void end() throws Exception {
        c.disconnect().get(10, TimeUnit.SECONDS);
        if (persistent) {
          // MQTT 3.1.1 ends a persistent session only with a clean connect of the same client id
          c.connectWith().cleanSession(true).send().get(10, TimeUnit.SECONDS);
          c.disconnect().get(10, TimeUnit.SECONDS);
        }
      }
    };
  }

  private static void reportUnexpected(
      com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext context) {
    if (context.getSource() != com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource.USER) {
      Optional<?> id = context.getClientConfig().getClientIdentifier();
      System.err.println(
          id.map(Object::toString).orElse("?")
              + " disconnected by "
              + context.getSource()
              + ": "
              + context.getCause());
    }
  }
}
